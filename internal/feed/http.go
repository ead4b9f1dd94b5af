package feed

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
)

// FeedPath is the pull feed's route.
const FeedPath = "/v1/feed"

// Mount adds the pull feed (for agencies' clients) and the administration
// of webhook subscriptions and their dead-letter queues to srv.
func (s *Service) Mount(srv *api.Server) {
	a := srv.API()
	register(a, huma.Operation{
		OperationID: "read-feed", Method: http.MethodGet, Path: FeedPath,
		Summary: "Read the agency's change feed (API clients)",
		Description: "Returns the life events the agency's grant for the purpose releases, after the cursor, " +
			"in outbox order (each person's order), with each person filtered to the granted fields. " +
			"Pass next as after to continue. Every person returned is recorded in the access log.",
		Tags:   []string{"feed"},
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusServiceUnavailable},
	}, s.readHandler)
	srv.AllowClients(FeedPath)
	s.mountAdmin(a)
}

func register[I, O any](a huma.API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = -1
	op.Security = api.Security
	op.Errors = append([]int{http.StatusUnauthorized}, op.Errors...)
	huma.Register(a, op, h)
}

type feedInput struct {
	exchange.PurposeParams
	After string `query:"after" maxLength:"100" doc:"The next cursor of the previous page; empty for the start."`
	Limit int    `query:"limit" minimum:"0" maximum:"1000" doc:"At most this many events (default 100)."`
}

type feedOutput struct{ Body *Page }

func (s *Service) readHandler(ctx context.Context, in *feedInput) (*feedOutput, error) {
	p, _ := auth.FromContext(ctx)
	if p.Kind != auth.KindClient {
		return nil, huma.Error403Forbidden("Only agencies' API clients read the change feed.")
	}
	purpose := in.Purpose
	if purpose == "" {
		purpose = in.PurposeHeader
	}
	if purpose == "" {
		return nil, huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	}
	page, err := s.Read(ctx, p, purpose, in.After, in.Limit, api.RequestID(ctx))
	switch {
	case errors.Is(err, ErrBadCursor):
		return nil, huma.Error400BadRequest("after: not a cursor this agency was given for this purpose.")
	case errors.Is(err, ErrNoGrant):
		return nil, huma.Error403Forbidden("The agency holds no grant for this purpose.")
	case err != nil:
		s.log.ErrorContext(ctx, "feed: read failed", api.KeyRequestID, api.RequestID(ctx), "error", err)
		return nil, huma.Error503ServiceUnavailable("The feed could not be read or the access not recorded; nothing was released.")
	}
	return &feedOutput{Body: page}, nil
}

// requireAdmin refuses everyone but administrators.
func requireAdmin(ctx context.Context) error {
	return api.RequireAdmin(ctx, "manage webhook subscriptions")
}

// adminError maps the service's errors to statuses.
func adminError(err error) error {
	return api.AdminError(err, ErrInvalid, "No such subscription or message.")
}

type subOutput struct{ Body *Subscription }

type subsOutput struct {
	Body struct {
		Items []Subscription `json:"items"`
	}
}

type addSubInput struct {
	Body struct {
		ID         string   `json:"id" maxLength:"63"`
		Agency     string   `json:"agency" maxLength:"63"`
		Purpose    string   `json:"purpose" maxLength:"100"`
		URL        string   `json:"url" maxLength:"2000"`
		EventTypes []string `json:"event_types" maxItems:"50"`
	}
}

type subIDInput struct {
	ID string `path:"id" maxLength:"63"`
}

type subStatusInput struct {
	ID   string `path:"id" maxLength:"63"`
	Body struct {
		Status exchange.Status `json:"status" enum:"active,disabled"`
	}
}

type deadInput struct {
	ID    string `path:"id" maxLength:"63"`
	After int64  `query:"after" minimum:"0" doc:"List messages with a greater seq."`
	Limit int    `query:"limit" minimum:"0" maximum:"1000"`
}

// DeadLetterView is a dead-lettered message as the console shows it. It
// names the message by seq and never carries the person's data.
type DeadLetterView struct {
	Seq       int64  `json:"seq"`
	WebhookID string `json:"webhook_id"`
	Attempts  int    `json:"attempts"`
	FirstAt   string `json:"first_attempt_at"`
	DeadAt    string `json:"dead_at"`
	LastError string `json:"last_error"`
}

type deadOutput struct {
	Body struct {
		Items []DeadLetterView `json:"items"`
	}
}

type redeliverInput struct {
	ID  string `path:"id" maxLength:"63"`
	Seq int64  `path:"seq" minimum:"1"`
}

func (s *Service) mountAdmin(a huma.API) {
	tags := []string{"admin", "feed"}
	errs := []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}
	register(a, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/v1/admin/webhooks",
		Summary: "List webhook subscriptions", Tags: tags, Errors: errs},
		func(ctx context.Context, _ *struct{}) (*subsOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			items, err := s.Subscriptions(ctx, "")
			out := &subsOutput{}
			out.Body.Items = items
			if out.Body.Items == nil {
				out.Body.Items = []Subscription{}
			}
			return out, adminError(err)
		})
	register(a, huma.Operation{OperationID: "add-webhook", Method: http.MethodPost, Path: "/v1/admin/webhooks",
		Summary:     "Subscribe an agency's endpoint to its change feed",
		Description: "The event types must be ones the agency's grant for the purpose lists. The answer carries the signing secret, shown only this once.",
		Tags:        tags, Errors: errs, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *addSubInput) (*subOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			b := in.Body
			sub, err := s.AddSubscription(ctx, Subscription{ID: b.ID, Agency: b.Agency, Purpose: b.Purpose, URL: b.URL, EventTypes: b.EventTypes})
			return &subOutput{Body: sub}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "set-webhook-status", Method: http.MethodPut, Path: "/v1/admin/webhooks/{id}/status",
		Summary: "Enable or disable a webhook subscription", Description: "A disabled subscription keeps its position and resumes there.",
		Tags: tags, Errors: errs},
		func(ctx context.Context, in *subStatusInput) (*subOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			sub, err := s.SetSubscriptionStatus(ctx, in.ID, in.Body.Status)
			return &subOutput{Body: sub}, adminError(err)
		})
	register(a, huma.Operation{OperationID: "list-webhook-dead-letters", Method: http.MethodGet, Path: "/v1/admin/webhooks/{id}/dead-letters",
		Summary: "List a subscription's dead-lettered messages", Tags: tags, Errors: errs},
		func(ctx context.Context, in *deadInput) (*deadOutput, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			limit := in.Limit
			if limit == 0 {
				limit = 100
			}
			ds, err := s.DeadLetters(ctx, in.ID, in.After, limit)
			out := &deadOutput{}
			out.Body.Items = make([]DeadLetterView, 0, len(ds))
			for _, d := range ds {
				out.Body.Items = append(out.Body.Items, DeadLetterView{
					Seq: d.Seq, WebhookID: webhookID(d.Seq), Attempts: d.Attempts,
					FirstAt: d.FirstAt.Format("2006-01-02T15:04:05Z07:00"), DeadAt: d.DeadAt.Format("2006-01-02T15:04:05Z07:00"),
					LastError: d.LastError,
				})
			}
			return out, adminError(err)
		})
	register(a, huma.Operation{OperationID: "redeliver-webhook-message", Method: http.MethodPost,
		Path:        "/v1/admin/webhooks/{id}/dead-letters/{seq}/redeliver",
		Summary:     "Send a dead-lettered message again",
		Description: "Moves the message back to the retry queue with a fresh retry window; it is sent at the relay's next pass.",
		Tags:        tags, Errors: errs, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *redeliverInput) (*struct{}, error) {
			if err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			return nil, adminError(s.Redeliver(ctx, in.ID, in.Seq))
		})
}
