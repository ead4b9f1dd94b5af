package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dancu/dancu/internal/store"
)

// SQLSTATE codes the package acts on.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// dbError is a PostgreSQL error whose text is safe to log. PostgreSQL messages
// of the data exception (22) and integrity constraint (23) classes can quote
// the value at fault, a PIN or a name, so for those only the SQLSTATE and the
// constraint are shown. Unwrap still gives the *pgconn.PgError to code that
// needs the details and knows not to print them.
type dbError struct {
	op string
	pg *pgconn.PgError
}

func (e *dbError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "postgres: %s: ", e.op)
	switch {
	case strings.HasPrefix(e.pg.Code, "22"), strings.HasPrefix(e.pg.Code, "23"):
		b.WriteString("database rejected the data")
	default:
		b.WriteString(e.pg.Message)
	}
	fmt.Fprintf(&b, " (SQLSTATE %s", e.pg.Code)
	if e.pg.ConstraintName != "" {
		fmt.Fprintf(&b, ", constraint %s", e.pg.ConstraintName)
	}
	b.WriteString(")")
	return b.String()
}

func (e *dbError) Unwrap() error { return e.pg }

// sqlState returns the SQLSTATE of err, or "" if it is not a database error.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether Update should run its function again after err:
// the transaction lost a race that a fresh attempt can win.
func retryable(err error) bool {
	if errors.Is(err, store.ErrConflict) {
		return true
	}
	switch sqlState(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}

// sentinel wraps a store sentinel error with the operation's name.
func sentinel(op string, err error) error {
	return fmt.Errorf("postgres: %s: %w", op, err)
}
