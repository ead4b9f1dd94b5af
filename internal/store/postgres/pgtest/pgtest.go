// Package pgtest gives tests a PostgreSQL database of their own, on the server
// named by the environment variable DANCU_TEST_POSTGRES, so that tests of any
// package can run against PostgreSQL in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the environment variable holding the DSN of a server where
// tests may create and drop databases, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvVar = "DANCU_TEST_POSTGRES"

// NewDSN creates an empty database named dancu_test_<random> on the server
// named by DANCU_TEST_POSTGRES and returns a DSN for it; t.Cleanup drops it,
// closing any connection still open. It skips the test when the variable is
// empty.
func NewDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set; skipping PostgreSQL test")
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "dancu_test_" + hex.EncodeToString(b[:])

	// template0 never has connections, unlike template1, which a concurrent
	// session may be using and so make CREATE DATABASE fail.
	exec(t, base, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'")
	t.Cleanup(func() {
		exec(t, base, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	dsn, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	return dsn
}

// exec runs one statement on the server's maintenance database. It uses its
// own context because t.Context is already cancelled when cleanups run.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// withDatabase returns dsn with its database replaced by name, for both the
// URL and the keyword/value forms.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In the keyword/value form a later setting overrides an earlier one.
	return dsn + " dbname=" + name, nil
}
