package audithttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audithttp"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

const token = "test-token-0123456789abcdef"

func setup(t *testing.T) (*api.Server, *audit.Log) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, _, err := auth.Setup(ctx, st, token)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv := api.New(api.Deps{Registry: registry.New(st), Store: st, Auth: a, Logger: slog.New(slog.DiscardHandler), Recorder: l})
	audithttp.New(l).Mount(srv.API())
	srv.AllowAnonymous(audithttp.PublicRoutes...)
	return srv, l
}

func get(t *testing.T, h http.Handler, path string, auth bool) (int, []byte) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if auth {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, b
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	srv, l := setup(t)
	if code, _ := get(t, srv, "/v1/audit/checkpoint", false); code != http.StatusServiceUnavailable {
		t.Errorf("checkpoint before any: %d, want 503", code)
	}
	const pin = "079190000001"
	for i := range 5 {
		a := audit.Access{ActorKind: "staff", Actor: "s1", Purpose: "p", PIN: pin, Fields: []string{"full_name"}, Action: "read"}
		if i == 2 {
			a.CaseRef, a.SealedUntil = "case-7", "2999-01-01"
		}
		if i == 3 {
			a.PIN = "079190000002"
		}
		if err := l.Record(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}

	code, vkey := get(t, srv, "/v1/audit/key", false)
	if code != http.StatusOK {
		t.Fatalf("key: %d %s", code, vkey)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	code, signed := get(t, srv, "/v1/audit/checkpoint", false)
	if code != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", code, signed)
	}
	cp, err := audit.OpenCheckpoint(signed, v)
	if err != nil || cp.Size != 5 {
		t.Fatalf("checkpoint = %+v, %v", cp, err)
	}

	if code, _ := get(t, srv, "/v1/audit/proof/inclusion?index=0&size=5", false); code != http.StatusUnauthorized {
		t.Errorf("proof without a token: %d, want 401", code)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v1/audit/proof/inclusion?index=5&size=5", http.StatusBadRequest},
		{"/v1/audit/proof/inclusion?index=0&size=6", http.StatusBadRequest},
		{"/v1/audit/proof/consistency?from=0&to=5", http.StatusBadRequest},
		{"/v1/audit/proof/consistency?from=2&to=5", http.StatusOK},
		{"/v1/audit/proof/inclusion?index=4&size=5", http.StatusOK},
	} {
		if code, b := get(t, srv, tc.path, true); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, code, b, tc.want)
		}
	}

	h := rfc6962.DefaultHasher
	for _, tc := range []struct {
		view string
		want int
	}{{"officer", 4}, {"citizen", 3}} {
		code, b := get(t, srv, "/v1/citizens/"+pin+"/accesses?view="+tc.view, true)
		if code != http.StatusOK {
			t.Fatalf("accesses: %d %s", code, b)
		}
		var page audithttp.Accesses
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		lc, err := audit.OpenCheckpoint([]byte(page.Checkpoint), v)
		if err != nil {
			t.Fatal(err)
		}
		proven := 0
		for _, e := range page.Items {
			if e.Index >= lc.Size {
				continue // the listing's own access, newer than the checkpoint
			}
			proven++
			leaf, _ := base64.StdEncoding.DecodeString(e.Leaf)
			var p [][]byte
			for _, s := range e.Proof {
				x, _ := base64.StdEncoding.DecodeString(s)
				p = append(p, x)
			}
			if err := proof.VerifyInclusion(h, uint64(e.Index), uint64(lc.Size), h.HashLeaf(leaf), p, lc.Root[:]); err != nil {
				t.Errorf("%s view, entry %d: %v", tc.view, e.Index, err)
			}
			if e.Sealed != (e.CaseRef == "case-7") || (tc.view == "citizen" && e.Sealed) {
				t.Errorf("%s view, entry %d: sealed = %v", tc.view, e.Index, e.Sealed)
			}
		}
		if proven != tc.want {
			t.Errorf("%s view: %d entries with proofs, want %d", tc.view, proven, tc.want)
		}
	}
	// Each listing was itself recorded.
	tr, _ := l.Accesses(ctx, pin, 0, 100, audit.OfficerView)
	if n := len(tr.Entries); n != 6 {
		t.Errorf("%d entries after two listings, want 6", n)
	}
}
