package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed/sealedtest"
	"github.com/dancu/dancu/internal/store/storetest"
)

// openTest opens a fresh database in the test's temporary directory and closes
// it when the test ends.
func openTest(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

// TestConformanceSealed runs the suite with every document sealed at rest
// (package sealed), as dancu runs.
func TestConformanceSealed(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sealedtest.Wrap(t, openTest(t)) })
}
