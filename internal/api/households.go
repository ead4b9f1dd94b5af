package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/registry"
)

type householdInput struct {
	ID string `path:"id" maxLength:"64" doc:"Household identifier." example:"HABCDEFGHJKLM"`
}

// HouseholdMember is a member of a household with the name on their current
// record.
type HouseholdMember struct {
	PIN          string `json:"pin"`
	FullName     string `json:"full_name"`
	Relationship string `json:"relationship" enum:"head,spouse,child,parent,grandchild,sibling,other" doc:"Relationship to the head of the household."`
}

// Household is a household at one permanent address with its members.
type Household struct {
	ID                  string             `json:"id"`
	Version             int64              `json:"version"`
	HeadPIN             string             `json:"head_pin,omitempty" doc:"Empty once the household is dissolved."`
	Address             registry.Residence `json:"address"`
	ResidenceFileNumber string             `json:"residence_file_number,omitempty"`
	Dissolved           registry.Date      `json:"dissolved,omitzero" doc:"Set when the last member left."`
	Members             []HouseholdMember  `json:"members"`
}

type householdOutput struct {
	ETag string `header:"ETag"`
	Body Household
}

func (h *RegistryHandler) mountHouseholds(api huma.API) {
	register(api, huma.Operation{
		OperationID: "get-household",
		Method:      http.MethodGet,
		Path:        "/v1/households/{id}",
		Summary:     "Get a household and its members",
		Tags:        []string{"households"},
		Errors:      []int{http.StatusBadRequest, http.StatusNotFound},
	}, h.getHousehold)
}

func (h *RegistryHandler) getHousehold(ctx context.Context, in *householdInput) (*householdOutput, error) {
	rec, err := h.reg.Household(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	hh := rec.Household
	out := &householdOutput{ETag: registry.ETag(rec.Version), Body: Household{
		ID: hh.ID, Version: rec.Version, HeadPIN: hh.Head, Address: hh.Address,
		ResidenceFileNumber: hh.ResidenceFileNumber, Dissolved: hh.Dissolved,
		Members: make([]HouseholdMember, len(hh.Members)),
	}}
	for i, m := range hh.Members {
		out.Body.Members[i] = HouseholdMember{PIN: m.PIN, Relationship: m.Relationship}
		p, err := h.reg.Person(ctx, m.PIN, registry.Date{})
		switch {
		case registry.KindOf(err) == registry.NotFound || registry.KindOf(err) == registry.Invalid:
			// The household names someone the registry does not hold: show
			// the member without a name, and tell operators which household.
			h.log.WarnContext(ctx, "household member not on record",
				KeyRequestID, RequestID(ctx), KeyHousehold, hh.ID)
		case err != nil:
			return nil, fmt.Errorf("api: read household member: %w", err)
		default:
			out.Body.Members[i].FullName = p.Person.FullName
		}
	}
	// Each member's name and the household's address are that member's
	// data.
	pins := make([]string, len(out.Body.Members))
	for i, m := range out.Body.Members {
		pins[i] = m.PIN
	}
	if err := h.recordAccess(ctx, "read", householdFields, pins...); err != nil {
		return nil, err
	}
	return out, nil
}

// householdFields are the fields a household answer releases of each member.
var householdFields = []string{"household_id", "permanent_residence", "full_name", "relationship_to_head"}
