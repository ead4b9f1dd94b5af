package oidc

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckRedirectURI: whatever is accepted is an absolute https URL (or
// http on loopback) without fragment or credentials.
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{"https://a.example/cb", "http://127.0.0.1:8080/cb", "http://evil/cb", "https://a/cb#x",
		"https://u:p@a/cb", "javascript:alert(1)", "//a/cb", "https://[::1]/x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkRedirectURI(s) != "" {
			return
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil || strings.Contains(s, "#") {
			t.Fatalf("accepted %q", s)
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
	})
}

// FuzzLookupScope: a known scope names only registry fields or a dataset.
func FuzzLookupScope(f *testing.F) {
	for _, s := range []string{"openid", "profile", "dataset:health-insurance", "dataset:", "dataset:../x", "national_id"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, ok := lookupScope(s)
		if !ok {
			return
		}
		if sc.Name != s {
			t.Fatalf("lookupScope(%q) named %q", s, sc.Name)
		}
		if ds, isDS := strings.CutPrefix(s, datasetScopePrefix); isDS && !datasetName.MatchString(ds) {
			t.Fatalf("accepted dataset name %q", ds)
		}
	})
}
