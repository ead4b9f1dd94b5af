package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/exchange"
)

// agencyKind is the directory's kind of the connected agencies' records.
const agencyKind = "agency"

// readSides reads the links, the eID accounts and the agencies in full.
func readSides(ctx context.Context, reg Registry, ps *Pseudonymizer) (Sides, error) {
	var s Sides
	var err error
	if s.Links, err = scanLinks(ctx, reg, ps); err != nil {
		return s, err
	}
	if s.EID, err = scanEID(ctx, reg, ps); err != nil {
		return s, err
	}
	s.Agencies, err = readAgencies(ctx, reg)
	return s, err
}

func scanLinks(ctx context.Context, reg Registry, ps *Pseudonymizer) ([]Link, error) {
	var out []Link
	ds, key := "", ""
	for {
		page, err := reg.DatasetLinks(ctx, ds, key, linkPage)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			out = append(out, Link{Dataset: r.Dataset, ID: ps.ID(r.PIN)})
		}
		if len(page) < linkPage {
			return out, nil
		}
		ds, key = page[len(page)-1].Dataset, page[len(page)-1].Key
	}
}

// scanEID reads the citizens' accounts that are not disabled. The account
// document's format is package eid's (eid.Account).
func scanEID(ctx context.Context, reg Registry, ps *Pseudonymizer) ([]EIDAccount, error) {
	var out []EIDAccount
	after := ""
	for {
		page, err := reg.EIDAccountsAfter(ctx, after, linkPage)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if r.Kind != eid.KindCitizen || r.PIN == "" {
				continue
			}
			var a eid.Account
			if err := json.Unmarshal(r.Data, &a); err != nil {
				// The account's id is not personal data; its content is.
				return nil, fmt.Errorf("stats: eid account %s: unreadable document", r.ID)
			}
			if a.Disabled {
				continue
			}
			e := EIDAccount{ID: ps.ID(r.PIN), Since: vnDay(r.CreatedAt)}
			if a.Level >= eid.Level2 {
				// Raised at the in-person check; an account provisioned at
				// level 2 (or one whose check was replaced) counts from
				// its opening.
				e.Level2Since = e.Since
				if a.LevelCheck != nil && a.LevelCheck.Purpose == "level2" && vnDay(a.LevelCheck.At).After(e.Since) {
					e.Level2Since = vnDay(a.LevelCheck.At)
				}
			}
			out = append(out, e)
		}
		if len(page) < linkPage {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// readAgencies reads the connected agencies from the directory. The
// record's format is package exchange's (exchange.Agency).
func readAgencies(ctx context.Context, reg Registry) ([]Agency, error) {
	recs, err := reg.DirRecords(ctx, agencyKind, "")
	if err != nil {
		return nil, err
	}
	out := make([]Agency, 0, len(recs))
	for _, r := range recs {
		var a exchange.Agency
		if err := json.Unmarshal(r.Data, &a); err != nil {
			return nil, fmt.Errorf("stats: agency %s: unreadable record", r.ID)
		}
		kind := a.Kind
		if kind == "" {
			kind = "other"
		}
		since := a.CreatedAt
		if since.IsZero() {
			since = r.UpdatedAt
		}
		out = append(out, Agency{ID: r.ID, Kind: kind, Active: a.Status == exchange.Active, Since: vnDay(since)})
	}
	return out, nil
}

// accessPage is how many access-log entries one traffic step reads.
const accessPage = 5000

// readTraffic counts the access-log entries with from <= index < to made
// by agencies (entries by staff have no agency and are not agencies'
// traffic), by agency, day and action. An entry that does not decode is
// left out and counted in bad: the access log's verifier is what reports
// it, and the traffic figures must not stop at it.
func readTraffic(ctx context.Context, reg Registry, from, to int64) (t []Traffic, bad int, err error) {
	entries, err := reg.AccessEntries(ctx, from, to)
	if err != nil {
		return nil, 0, err
	}
	type key struct {
		agency, action string
		day            time.Time
	}
	counts := map[key]int64{}
	var order []key
	for _, e := range entries {
		a, _, err := audit.DecodeLeaf(e.Data)
		if err != nil {
			bad++
			continue
		}
		if a.Agency == "" {
			continue
		}
		k := key{a.Agency, a.Action, vnDay(a.Time)}
		if _, ok := counts[k]; !ok {
			order = append(order, k)
		}
		counts[k]++
	}
	out := make([]Traffic, len(order))
	for i, k := range order {
		out[i] = Traffic{Agency: k.agency, Day: k.day, Action: k.action, N: counts[k]}
	}
	return out, bad, nil
}
