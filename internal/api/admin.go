package api

import (
	"context"
	"errors"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/store"
)

// RequireAdmin refuses, with 403, every caller but an administrator; what
// says what only administrators do ("manage datasets"). It is the one place
// that decides who administers the platform, so that giving the
// national_admin staff role these powers is a change here.
func RequireAdmin(ctx context.Context, what string) error {
	if p, ok := auth.FromContext(ctx); !ok || p.Kind != auth.Admin.Kind {
		return huma.Error403Forbidden("Only administrators " + what + ".")
	}
	return nil
}

// AdminError maps what an administration call returns to a status: the
// calling package's validation error invalid to 422 (its messages name
// fields and rules, never personal data), a missing record to 404 with
// notFound as the detail, a taken id or a concurrent change to 409. Any other
// error is returned as is, for the server to answer 500.
func AdminError(err, invalid error, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, invalid):
		return huma.Error422UnprocessableEntity(err.Error())
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(notFound)
	case errors.Is(err, store.ErrExists):
		return huma.Error409Conflict("The id is taken.")
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict("The record changed meanwhile; try again.")
	}
	return err
}
