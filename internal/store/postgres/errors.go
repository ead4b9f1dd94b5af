package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

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

// isUnavailable reports whether err means the database cannot serve now but
// may soon: it cannot be reached or the connection was lost (class 08, or a
// network error below the protocol), it is shutting down or starting
// (57P01–57P03), it is out of disk, memory or connections (class 53), it
// hit an I/O error (58030), or it accepts no writes — a standby, or a
// primary with default_transaction_read_only after a failover (25006). A
// cancelled or timed-out request is the caller's doing, not an outage.
func isUnavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch c := pe.Code; {
		case strings.HasPrefix(c, "08") && c != "08P01": // 08P01 is a protocol violation: a bug
			return true
		case strings.HasPrefix(c, "53"):
			return true
		case c == "57P01", c == "57P02", c == "57P03", c == "58030", c == "25006":
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// markUnavailable marks err with store.ErrUnavailable when isUnavailable
// says so.
func markUnavailable(err error) error {
	if err != nil && !errors.Is(err, store.ErrUnavailable) && isUnavailable(err) {
		return store.Unavailable(err)
	}
	return err
}
