package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// TestMigrate_lowerNumberLandsLater: a database migrated by a program that
// lacked one reserved number (13) but had a higher one gets it applied when
// a program with it opens the file, as areas developed in parallel land
// their migrations out of order.
func TestMigrate_lowerNumberLandsLater(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE notifications", "DROP TABLE dossier_attachments", "DROP TABLE dossiers",
		"DELETE FROM schema_migrations WHERE version = 13"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var newest int
	db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&newest)
	db.Close()
	if newest <= 13 {
		t.Skipf("no migration above 13 is embedded yet (newest %d)", newest)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Dossier(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dossiers after reopening: %v, want not found (the table exists again)", err)
	}
}
