package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/eid/eidweb"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// TestEIDCmd hands an organisation to a new representative and closes it
// from the command line, on a generated population: the same checks as
// the console (the officer's role and units, the face, the chip card, level
// 2, the document), the officer's reads in the access log, the consents of
// the organisation revoked, and clear messages when refused.
func TestEIDCmd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noEnv := func(string) (string, bool) { return "", false }
	var out bytes.Buffer
	if code := Main(ctx, []string{"generate", "--citizens", "300", "--seed", "7", "--data", dir}, &out, &out); code != 0 {
		t.Fatalf("generate: %s", out.String())
	}

	// Two living adults with a valid chip card, A and B, with level-2
	// accounts; A registers an organisation that agreed to share with a
	// relying party.
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	rows, err := st.SearchPersons(ctx, store.PersonQuery{State: string(registry.Alive), Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	type person struct{ pin, card, province string }
	var people []person
	today := registry.DateOf(time.Now().In(registry.Vietnam))
	for _, row := range rows {
		rec, err := reg.Person(ctx, row.PIN, registry.Date{})
		if err != nil {
			t.Fatal(err)
		}
		p := rec.Person
		units := eidweb.ResidenceUnits(p)
		if !p.BirthDate.IsFull() || p.BirthDate.AgeAt(time.Now()) < 18 || len(units) == 0 {
			continue
		}
		for _, d := range p.Documents {
			if d.Chip && d.Status == "valid" && (d.Expiry.IsZero() || !d.Expiry.Before(today)) &&
				(len(people) == 0 || units[0].Province != people[0].province) {
				people = append(people, person{p.PIN, d.Number, units[0].Province})
				break
			}
		}
		if len(people) == 2 {
			break
		}
	}
	if len(people) < 2 {
		t.Fatalf("found %d adults with a valid chip card in two provinces", len(people))
	}
	a, b := people[0], people[1]
	svc := newEID(config.Default(), st, reg, nil, nil, nil, nil)
	var accts []*eid.Account
	for _, p := range people {
		got, err := svc.Provision(ctx, p.pin, "a long test password 2026", eid.Level2, "test")
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, got.Account)
	}
	org, err := svc.RegisterOrganisation(ctx, eid.Citizen{AccountID: accts[0].ID}, "Công ty TNHH Thử nghiệm", "0312345673", eid.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutOIDCConsent(ctx, store.OIDCConsent{AccountID: org.ID, ClientID: "bank", Scopes: []string{"openid", "organisation"}, GrantedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	run := func(cmd string, args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		var err error
		if cmd == "staff" {
			err = staffCmd(ctx, append(args, "--data", dir), &out, &errOut, noEnv)
		} else {
			err = eidCmd(ctx, append(args, "--data", dir), &out, &errOut, noEnv)
		}
		return out.String() + errOut.String(), err
	}
	for _, s := range [][]string{
		{"add", "--username", "regb", "--name", "Cán bộ B", "--role", "registrar", "--scope", b.province},
		{"add", "--username", "rega", "--name", "Cán bộ A", "--role", "registrar", "--scope", a.province},
		{"add", "--username", "aud", "--name", "Kiểm toán", "--role", "auditor"},
	} {
		if out, err := run("staff", s...); err != nil {
			t.Fatalf("staff %v: %v %s", s, err, out)
		}
	}
	handover := func(mut ...string) []string {
		args := []string{"handover", "--tax-code", "0312345673", "--pin", b.pin, "--card", b.card, "--officer", "regb",
			"--station", "CA phường", "--document", "Nghị quyết HĐTV số 7/2026", "--face-checked"}
		for i := 0; i+1 < len(mut); i += 2 {
			for j := range args {
				if args[j] == mut[i] {
					args[j+1] = mut[i+1]
				}
			}
		}
		return args
	}
	refused := []struct {
		name string
		args []string
		want string
	}{
		{"no face check", handover()[:len(handover())-1], "--face-checked is required"},
		{"no document", []string{"handover", "--tax-code", "0312345673", "--pin", b.pin, "--card", b.card, "--officer", "regb", "--face-checked"}, "--document required"},
		{"unknown officer", handover("--officer", "nobody"), "no staff account nobody"},
		{"an auditor", handover("--officer", "aud"), "may not verify identities"},
		{"outside the officer's units", handover("--officer", "rega"), "does not reside in the officer's units"},
		{"wrong card", handover("--card", a.card), "does not match a valid chip card"},
		{"bad tax code", handover("--tax-code", "03123"), "--tax-code: must be 10 digits"},
		{"unknown organisation", handover("--tax-code", "0399999999"), "no organisation with this tax code"},
		{"pin with close-org", []string{"close-org", "--tax-code", "0312345673", "--document", "x", "--officer", "regb", "--pin", b.pin}, "go with handover only"},
		{"unknown subcommand", []string{"reopen"}, `unknown eid subcommand "reopen"`},
	}
	for _, tt := range refused {
		out, err := run("eid", tt.args...)
		if err == nil || !strings.Contains(err.Error()+out, tt.want) {
			t.Errorf("%s: %v %s, want an error saying %q", tt.name, err, out, tt.want)
		}
		if strings.Contains(out+errString(err), b.pin) || strings.Contains(out+errString(err), a.pin) {
			t.Errorf("%s: the output names a PIN", tt.name)
		}
	}

	out2, err := run("eid", handover()...)
	if err != nil || !strings.Contains(out2, "Organisation 0312345673 handed to the new representative") {
		t.Fatalf("handover: %v %s", err, out2)
	}
	st, err = openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc = newEID(config.Default(), st, registry.New(st), nil, nil, nil, nil)
	if _, err := svc.Represented(ctx, org.ID, accts[0].ID); !errors.Is(err, eid.ErrNotFound) {
		t.Errorf("the former representative still acts for the organisation: %v", err)
	}
	if _, err := svc.Represented(ctx, org.ID, accts[1].ID); err != nil {
		t.Errorf("the new representative does not: %v", err)
	}
	if cs, err := st.OIDCConsents(ctx, org.ID); err != nil || len(cs) != 0 {
		t.Errorf("the organisation's consents after the handover: %+v, %v", cs, err)
	}
	evs, _, _ := svc.Events(ctx, org.ID, 0, 1)
	if len(evs) != 1 || evs[0].Type != eid.EventRepresentativeChanged || evs[0].Officer != "regb" || evs[0].Detail != "Nghị quyết HĐTV số 7/2026" {
		t.Errorf("the organisation's last event = %+v", evs)
	}

	// Closing: refused out of the officer's units (the representative, B,
	// lives elsewhere), done by B's officer; a second closing says so.
	closeOrg := []string{"close-org", "--tax-code", "0312345673", "--officer", "regb", "--document", "Thông báo giải thể số 45/2026"}
	if out, err := run("eid", append(closeOrg[:len(closeOrg)-4:len(closeOrg)-4], "--officer", "rega", "--document", "x")...); err == nil || !strings.Contains(err.Error(), "does not reside") {
		t.Errorf("closing out of the officer's units: %v %s", err, out)
	}
	if out, err := run("eid", closeOrg...); err != nil || !strings.Contains(out, "Organisation 0312345673 closed") {
		t.Fatalf("close-org: %v %s", err, out)
	}
	if out, err := run("eid", closeOrg...); err == nil || !strings.Contains(err.Error(), "already closed") {
		t.Errorf("closing again: %v %s", err, out)
	}
	got, err := svc.Account(ctx, org.ID)
	if err != nil || got.Closed == nil || got.Closed.Officer != "regb" || got.Closed.Reason != "Thông báo giải thể số 45/2026" || !got.Disabled {
		t.Errorf("the closed organisation = %+v, %v", got, err)
	}
	if _, err := svc.Represented(ctx, org.ID, accts[1].ID); !errors.Is(err, eid.ErrNotFound) {
		t.Errorf("the representative still acts for the closed organisation: %v", err)
	}

	// The officer's reads are in the access log of the person read.
	log, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	tr, err := log.Accesses(ctx, b.pin, 0, 50, audit.OfficerView)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range tr.Entries {
		if e.Access.Actor == "regb" && e.Access.ActorKind == "staff" && strings.HasPrefix(e.Access.RequestID, "cli-") {
			seen[e.Access.Purpose] = true
		}
	}
	if !seen["eid_org_handover"] || !seen["eid_org_close"] {
		t.Errorf("the officer's reads in B's access log: %v, want the handover and the closing", seen)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
