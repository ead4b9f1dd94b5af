package exchange

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
)

// Mount adds everything the exchange serves to srv: the token endpoint and
// its JWKS, the lookups for clients, and the administrators' management of
// agencies, clients and grants.
func (s *Service) Mount(srv *api.Server) {
	srv.HandlePublic(TokenPath, http.HandlerFunc(s.tokenHandler))
	srv.HandlePublic("GET "+JWKSPath, http.HandlerFunc(s.jwksHandler))
	documentToken(srv.API())
	s.MountLookups(srv)
	s.mountAdmin(srv.API())
}

// requireAdmin refuses everyone but administrators.
func requireAdmin(ctx context.Context) error {
	return api.RequireAdmin(ctx, "manage agencies, clients and grants")
}

// adminError maps the service's errors to statuses.
func adminError(err error) error { return api.AdminError(err, ErrInvalid, "No such record.") }

type idInput struct {
	ID string `path:"id" maxLength:"63"`
}

type agencyOutput struct{ Body *Agency }

type agenciesOutput struct {
	Body struct {
		Items []Agency `json:"items"`
	}
}

type addAgencyInput struct {
	Body struct {
		ID   string `json:"id" maxLength:"63"`
		Name string `json:"name" maxLength:"300"`
		Kind string `json:"kind" enum:"ministry,province,police,bank,carrier,hospital,insurer,court,other"`
	}
}

type statusInput struct {
	ID   string `path:"id" maxLength:"63"`
	Body struct {
		Status Status `json:"status" enum:"active,disabled"`
	}
}

type clientOutput struct{ Body *Client }

type clientsOutput struct {
	Body struct {
		Items []Client `json:"items"`
	}
}

type listClientsInput struct {
	Agency string `query:"agency" maxLength:"63" doc:"Only this agency's clients."`
}

type addClientInput struct {
	Body struct {
		ClientID string        `json:"client_id" maxLength:"63"`
		Agency   string        `json:"agency" maxLength:"63"`
		Name     string        `json:"name" maxLength:"300"`
		JWKS     JSONWebKeySet `json:"jwks"`
	}
}

type keysInput struct {
	ID   string `path:"id" maxLength:"63"`
	Body JSONWebKeySet
}

type grantOutput struct{ Body *Grant }

type grantsOutput struct {
	Body struct {
		Items []Grant `json:"items"`
	}
}

type setGrantInput struct {
	ID      string `path:"id" maxLength:"63"`
	Purpose string `path:"purpose" maxLength:"100"`
	Body    struct {
		LegalBasis       string   `json:"legal_basis" maxLength:"2000"`
		Fields           []string `json:"fields"`
		EventTypes       []string `json:"event_types,omitempty"`
		Datasets         []string `json:"datasets,omitempty"`
		DemographicCheck bool     `json:"demographic_check,omitempty"`
		Status           Status   `json:"status,omitempty" enum:"active,disabled"`
	}
}

func (s *Service) mountAdmin(a huma.API) {
	tags := []string{"admin"}
	errs := []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}
	register(a, huma.Operation{OperationID: "list-agencies", Method: http.MethodGet, Path: "/v1/admin/agencies",
		Summary: "List connected agencies", Tags: tags, Errors: errs},
		func(ctx context.Context, _ *struct{}) (*agenciesOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			items, err := s.Agencies(ctx)
			out := &agenciesOutput{}
			out.Body.Items = nonNil(items)
			return out, adminError(err)
		})
	register(a, huma.Operation{OperationID: "add-agency", Method: http.MethodPost, Path: "/v1/admin/agencies",
		Summary: "Register a connected agency", Tags: tags, Errors: errs, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *addAgencyInput) (*agencyOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			ag, err := s.AddAgency(ctx, Agency{ID: in.Body.ID, Name: in.Body.Name, Kind: in.Body.Kind})
			return &agencyOutput{Body: ag}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "get-agency", Method: http.MethodGet, Path: "/v1/admin/agencies/{id}",
		Summary: "Get a connected agency", Tags: tags, Errors: errs},
		func(ctx context.Context, in *idInput) (*agencyOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			ag, err := s.Agency(ctx, in.ID)
			return &agencyOutput{Body: ag}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "set-agency-status", Method: http.MethodPut, Path: "/v1/admin/agencies/{id}/status",
		Summary: "Enable or disable an agency", Description: "Disabling an agency stops all its clients' tokens at once.", Tags: tags, Errors: errs},
		func(ctx context.Context, in *statusInput) (*agencyOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			ag, err := s.SetAgencyStatus(ctx, in.ID, in.Body.Status)
			return &agencyOutput{Body: ag}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "list-grants", Method: http.MethodGet, Path: "/v1/admin/agencies/{id}/grants",
		Summary: "List an agency's grants", Tags: tags, Errors: errs},
		func(ctx context.Context, in *idInput) (*grantsOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			if _, err := s.Agency(ctx, in.ID); err != nil {
				return nil, adminError(err)
			}
			items, err := s.Grants(ctx, in.ID)
			out := &grantsOutput{}
			out.Body.Items = nonNil(items)
			return out, adminError(err)
		})
	register(a, huma.Operation{OperationID: "set-grant", Method: http.MethodPut, Path: "/v1/admin/agencies/{id}/grants/{purpose}",
		Summary: "Create or replace an agency's grant for a purpose", Tags: tags, Errors: errs},
		func(ctx context.Context, in *setGrantInput) (*grantOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			b := in.Body
			g, err := s.SetGrant(ctx, Grant{Agency: in.ID, Purpose: in.Purpose, LegalBasis: b.LegalBasis,
				Fields: nonNil(b.Fields), EventTypes: b.EventTypes, Datasets: b.Datasets,
				DemographicCheck: b.DemographicCheck, Status: b.Status})
			return &grantOutput{Body: g}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "list-clients", Method: http.MethodGet, Path: "/v1/admin/clients",
		Summary: "List API clients", Tags: tags, Errors: errs},
		func(ctx context.Context, in *listClientsInput) (*clientsOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			items, err := s.Clients(ctx, in.Agency)
			out := &clientsOutput{}
			out.Body.Items = nonNil(items)
			return out, adminError(err)
		})
	register(a, huma.Operation{OperationID: "add-client", Method: http.MethodPost, Path: "/v1/admin/clients",
		Summary: "Register an agency's API client with its public keys", Tags: tags, Errors: errs, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *addClientInput) (*clientOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			c, err := s.AddClient(ctx, Client{ID: in.Body.ClientID, Agency: in.Body.Agency, Name: in.Body.Name, JWKS: in.Body.JWKS})
			return &clientOutput{Body: c}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "get-client", Method: http.MethodGet, Path: "/v1/admin/clients/{id}",
		Summary: "Get an API client", Tags: tags, Errors: errs},
		func(ctx context.Context, in *idInput) (*clientOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			c, err := s.Client(ctx, in.ID)
			return &clientOutput{Body: c}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "set-client-status", Method: http.MethodPut, Path: "/v1/admin/clients/{id}/status",
		Summary: "Enable or disable an API client", Description: "A disabled client's tokens stop working on the next request.", Tags: tags, Errors: errs},
		func(ctx context.Context, in *statusInput) (*clientOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			c, err := s.SetClientStatus(ctx, in.ID, in.Body.Status)
			return &clientOutput{Body: c}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "set-client-keys", Method: http.MethodPut, Path: "/v1/admin/clients/{id}/jwks",
		Summary: "Replace an API client's public keys", Description: "Publish old and new keys together to roll over without downtime.", Tags: tags, Errors: errs},
		func(ctx context.Context, in *keysInput) (*clientOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			c, err := s.SetClientKeys(ctx, in.ID, in.Body)
			return &clientOutput{Body: c}, adminError(err)
		})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
