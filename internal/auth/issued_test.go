package auth

import (
	"context"
	"testing"
	"time"
)

func TestAuthenticator_VerifySessionIssued(t *testing.T) {
	a, _, err := Setup(context.Background(), &memSettings{m: map[string]string{}}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 8, 0, 0, 123e6, time.UTC)
	a.now = func() time.Time { return now }
	v := a.NewSession(Principal{ID: "reg7", Kind: "staff"}, time.Hour)
	p, issued, ok := a.VerifySessionIssued(v)
	if !ok || p.ID != "reg7" || !issued.Equal(now) {
		t.Errorf("VerifySessionIssued = %v, %v, %v; want reg7 issued at %v", p, issued, ok, now)
	}
	if _, _, ok := a.VerifySessionIssued(v + "x"); ok {
		t.Error("a tampered session verified")
	}
}
