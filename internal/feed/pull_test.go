package feed

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
)

func client(agency string) auth.Principal {
	return auth.Principal{Kind: auth.KindClient, ID: agency + "-app", Agency: agency}
}

// readAll follows a feed to its end and returns every event and the last
// cursor.
func readAll(t *testing.T, svc *Service, p auth.Principal, purpose string, limit int) ([]Event, string) {
	t.Helper()
	var all []Event
	after := ""
	for range 1000 {
		page, err := svc.Read(context.Background(), p, purpose, after, limit, "req")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		after = page.Next
		if !page.More {
			return all, after
		}
	}
	t.Fatal("the feed does not end")
	return nil, ""
}

// TestFeedIsolation reads the feed as two agencies with different grants
// and checks each sees exactly its grant's events and fields, and that
// cursors do not cross agencies or purposes.
func TestFeedIsolation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			appendEvents(t, st, 90, 7, "death", "marriage", "birth_registration")
			rec := &memRecorder{}
			svc, err := New(ctx, st, newFakeExchange(insurerGrant, bankGrant), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			agencies := []struct {
				p       auth.Principal
				purpose string
				types   []string
				fields  []string
				want    int
			}{
				{client("vss"), "insurance", []string{"death", "marriage"}, []string{"pin", "status", "full_name", "birth_date"}, 60},
				{client("bank"), "kyc", []string{"death"}, []string{"pin", "status", "full_name"}, 30},
			}
			cursors := map[string]string{}
			for _, a := range agencies {
				evs, next := readAll(t, svc, a.p, a.purpose, 7)
				cursors[a.p.Agency] = next
				if len(evs) != a.want {
					t.Errorf("%s: %d events, want %d", a.p.Agency, len(evs), a.want)
				}
				for i, ev := range evs {
					if !slices.Contains(a.types, ev.EventType) {
						t.Fatalf("%s received a %s event", a.p.Agency, ev.EventType)
					}
					for f := range ev.Person {
						if !slices.Contains(a.fields, f) {
							t.Fatalf("%s received field %q", a.p.Agency, f)
						}
					}
					if i > 0 && ev.Seq <= evs[i-1].Seq {
						t.Fatalf("%s: events out of order", a.p.Agency)
					}
				}
			}
			for _, a := range rec.accesses() {
				if a.Action != "feed" || (a.Agency == "bank") != (a.Purpose == "kyc") {
					t.Fatalf("access %+v", a)
				}
			}
			if n := len(rec.accesses()); n != 90 {
				t.Errorf("%d accesses recorded, want 90", n)
			}

			bad := []struct {
				name    string
				p       auth.Principal
				purpose string
				after   string
				want    error
			}{
				{"another agency's cursor", client("bank"), "kyc", cursors["vss"], ErrBadCursor},
				{"own cursor, other purpose", client("vss"), "kyc", cursors["vss"], ErrBadCursor},
				{"malformed", client("vss"), "insurance", "not-a-cursor!", ErrBadCursor},
				{"truncated", client("vss"), "insurance", cursors["vss"][:10], ErrBadCursor},
				{"forged position", client("vss"), "insurance", forge(cursors["vss"]), ErrBadCursor},
				{"no grant for purpose", client("bank"), "insurance", "", ErrNoGrant},
				{"unknown agency", client("nobody"), "kyc", "", ErrNoGrant},
				{"not a client", auth.Principal{Kind: "staff", ID: "x"}, "kyc", "", ErrNoGrant},
			}
			before := len(rec.accesses())
			for _, tc := range bad {
				page, err := svc.Read(ctx, tc.p, tc.purpose, tc.after, 10, "req")
				if !errors.Is(err, tc.want) || page != nil {
					t.Errorf("%s: %v, %v; want %v", tc.name, page, err, tc.want)
				}
			}
			if len(rec.accesses()) != before {
				t.Error("a refused read recorded accesses")
			}
			// New events after a cursor: a resumed read gets only those.
			appendEvents(t, st, 3, 1, "death")
			page, err := svc.Read(ctx, client("bank"), "kyc", cursors["bank"], 10, "req")
			if err != nil || len(page.Events) != 3 {
				t.Fatalf("resumed read: %v events, %v; want 3", page, err)
			}
		})
	}
}

// forge flips a bit of a cursor's position, keeping its MAC.
func forge(c string) string {
	b := []byte(c)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}

// TestFeedHandlerStatuses checks the HTTP statuses of the feed's refusals.
func TestFeedHandlerStatuses(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	svc, err := New(ctx, st, newFakeExchange(bankGrant), &memRecorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		p      auth.Principal
		in     feedInput
		status int
	}{
		{"malformed cursor", client("bank"), feedInput{PurposeParams: exchange.PurposeParams{Purpose: "kyc"}, After: "zz"}, http.StatusBadRequest},
		{"no purpose", client("bank"), feedInput{}, http.StatusBadRequest},
		{"no grant", client("bank"), feedInput{PurposeParams: exchange.PurposeParams{Purpose: "other"}}, http.StatusForbidden},
		{"admin is not a client", auth.Admin, feedInput{PurposeParams: exchange.PurposeParams{Purpose: "kyc"}}, http.StatusForbidden},
		{"ok", client("bank"), feedInput{PurposeParams: exchange.PurposeParams{PurposeHeader: "kyc"}}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.readHandler(auth.WithPrincipal(ctx, tc.p), &tc.in)
			status := http.StatusOK
			var se huma.StatusError
			if errors.As(err, &se) {
				status = se.GetStatus()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
		})
	}
}
