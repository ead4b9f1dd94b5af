package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
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
