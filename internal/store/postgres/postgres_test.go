package postgres_test

import (
	"testing"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed/sealedtest"
	"github.com/dancu/dancu/internal/store/storetest"
)

// TestConformance runs the suite every backend passes, each case on a
// database of its own.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := open(t)
		return s
	})
}

// TestConformanceSealed runs the suite with every document sealed at rest
// (package sealed), as dancu runs.
func TestConformanceSealed(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := open(t)
		return sealedtest.Wrap(t, s)
	})
}
