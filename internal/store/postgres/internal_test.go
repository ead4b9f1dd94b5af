package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	// Versions increase without repeats; gaps are allowed, since areas
	// developed in parallel hold reserved numbers and land out of order.
	for i, m := range ms {
		if m.Version < 1 || (i > 0 && m.Version <= ms[i-1].Version) {
			t.Errorf("migration %d has version %d: versions must increase from 1 without repeats", i, m.Version)
		}
		if m.Name == "" || strings.TrimSpace(m.SQL) == "" {
			t.Errorf("migration %d: empty name or body", m.Version)
		}
	}
}

func TestDBError_hidesValues(t *testing.T) {
	const pin = "079190000001"
	for _, tc := range []struct {
		pg       *pgconn.PgError
		wantText string
		hidden   bool
	}{
		{&pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint", Detail: "Key (pin)=(" + pin + ") already exists.", ConstraintName: "persons_pkey"},
			"SQLSTATE 23505, constraint persons_pkey", true},
		{&pgconn.PgError{Code: "22P02", Message: `invalid input syntax for type bigint: "` + pin + `"`}, "SQLSTATE 22P02", true},
		{&pgconn.PgError{Code: "42P01", Message: `relation "persons" does not exist`}, `relation "persons" does not exist`, false},
	} {
		err := wrapErr("op", tc.pg)
		if strings.Contains(err.Error(), pin) {
			t.Errorf("%s: error text %q contains the PIN", tc.pg.Code, err)
		}
		if !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("%s: error text %q lacks %q", tc.pg.Code, err, tc.wantText)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || sqlState(err) != tc.pg.Code {
			t.Errorf("%s: the PgError is not reachable with errors.As", tc.pg.Code)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{{"40001", true}, {"40P01", true}, {"23505", false}, {"57014", false}} {
		if got := retryable(wrapErr("op", &pgconn.PgError{Code: tc.code})); got != tc.want {
			t.Errorf("retryable(%s) = %v, want %v", tc.code, got, tc.want)
		}
	}
}
