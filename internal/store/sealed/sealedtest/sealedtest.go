// Package sealedtest wraps a test's store so that its documents are sealed,
// under a key file in the test's temporary folder.
package sealedtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed"
)

// Wrap returns backend sealed under the keys of a fresh key file.
func Wrap(t testing.TB, backend store.Store) *sealed.Store {
	t.Helper()
	kf, err := seal.CreateKeyFile(filepath.Join(t.TempDir(), "dancu.keys"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sealed.Open(context.Background(), backend, kf)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
