package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	dossierTests = []conformanceTest{
		{"DossierCreateAndRead", testDossierCreateAndRead},
		{"DossierIdempotencyKey", testDossierIdempotencyKey},
		{"DossierPutVersioned", testDossierPutVersioned},
		{"DossierPutRollsBackWithTx", testDossierPutRollsBack},
		{"DossierQueueOrderCursorCounts", testDossierQueue},
		{"DossierApplicantList", testDossierApplicantList},
		{"DossierStats", testDossierStats},
		{"DossierNotifications", testDossierNotifications},
		{"DossierConcurrentPutsOneWins", testDossierConcurrentPuts},
	}
}

var dossierTests []conformanceTest

// d0 is a time PostgreSQL keeps exactly (microseconds), as the services
// package writes.
var d0 = t0.Truncate(time.Microsecond)

func dossier(code string, due time.Time) store.DossierRow {
	return store.DossierRow{
		Code: code, Version: 1, Procedure: "temporary_residence", ApplicantPIN: "079190000001",
		SubjectPIN: "079190000001", Province: "79", Commune: "26734", Status: "submitted",
		SubmittedAt: d0, DueAt: due, UpdatedAt: d0, Data: []byte(`{"code":"` + code + `"}`),
	}
}

func testDossierCreateAndRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := dossier("HS1", d0.Add(72*time.Hour))
	att := store.AttachmentRow{Dossier: "HS1", ID: "a1", Kind: "lease", Name: "lease.pdf",
		ContentType: "application/pdf", Size: 5, SHA256: bytes.Repeat([]byte{7}, 32), CreatedAt: d0, Content: []byte("%PDF-")}
	n := &store.NotificationRow{PIN: d.ApplicantPIN, Dossier: "HS1", Kind: "submitted", CreatedAt: d0}
	if _, err := s.CreateDossier(ctx, d, []store.AttachmentRow{att}, n); err != nil {
		t.Fatalf("CreateDossier: %v", err)
	}
	got, err := s.Dossier(ctx, "HS1")
	if err != nil {
		t.Fatalf("Dossier: %v", err)
	}
	if got.Code != d.Code || got.Version != 1 || !got.DueAt.Equal(d.DueAt) || !got.SubmittedAt.Equal(d0) ||
		!got.ClosedAt.IsZero() || got.Paused || !bytes.Equal(got.Data, d.Data) || got.Commune != "26734" {
		t.Errorf("Dossier = %+v, want %+v", got, d)
	}
	if _, err := s.Dossier(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Dossier(nope) = %v, want ErrNotFound", err)
	}
	list, err := s.Attachments(ctx, "HS1")
	if err != nil || len(list) != 1 || list[0].Content != nil || list[0].Size != 5 {
		t.Errorf("Attachments = %+v, %v", list, err)
	}
	a, err := s.Attachment(ctx, "HS1", "a1")
	if err != nil || string(a.Content) != "%PDF-" || !bytes.Equal(a.SHA256, att.SHA256) {
		t.Errorf("Attachment = %+v, %v", a, err)
	}
	if _, err := s.Attachment(ctx, "HS1", "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Attachment(a2) = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateDossier(ctx, d, nil, nil); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateDossier(same code) = %v, want ErrExists", err)
	}
}

func testDossierIdempotencyKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := dossier("HS1", d0.Add(time.Hour))
	d.IdemKey = "k1"
	if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
		t.Fatal(err)
	}
	again := dossier("HS2", d0.Add(time.Hour))
	again.IdemKey = "k1"
	prev, err := s.CreateDossier(ctx, again, nil, &store.NotificationRow{PIN: d.ApplicantPIN, Dossier: "HS2", Kind: "x", CreatedAt: d0})
	if !errors.Is(err, store.ErrExists) || prev.Code != "HS1" {
		t.Fatalf("CreateDossier(same key) = %q, %v; want HS1, ErrExists", prev.Code, err)
	}
	if _, err := s.Dossier(ctx, "HS2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the retried submission was stored: %v", err)
	}
	if ns, _ := s.Notifications(ctx, d.ApplicantPIN, 0, 10); len(ns) != 0 {
		t.Errorf("the retried submission notified: %+v", ns)
	}
	other := dossier("HS3", d0.Add(time.Hour))
	other.IdemKey, other.ApplicantPIN = "k1", "079190000002"
	if _, err := s.CreateDossier(ctx, other, nil, nil); err != nil {
		t.Errorf("another applicant's key k1: %v", err)
	}
}

func testDossierPutVersioned(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := dossier("HS1", d0.Add(time.Hour))
	if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
		t.Fatal(err)
	}
	closed := d0.Add(30 * time.Minute)
	err := s.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.Dossier(ctx, "HS1")
		if err != nil {
			return err
		}
		cur.Version, cur.Status, cur.ClosedAt, cur.Data = cur.Version+1, "approved", closed, []byte(`{"v":2}`)
		if err := tx.PutDossier(ctx, cur); err != nil {
			return err
		}
		if err := tx.PutAttachment(ctx, store.AttachmentRow{Dossier: "HS1", ID: "b", Kind: "k", Name: "n",
			ContentType: "image/png", Size: 1, SHA256: []byte{1}, CreatedAt: d0, Content: []byte{1}}); err != nil {
			return err
		}
		return tx.Notify(ctx, store.NotificationRow{PIN: cur.ApplicantPIN, Dossier: "HS1", Kind: "approved", CreatedAt: closed})
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, _ := s.Dossier(ctx, "HS1")
	if got.Version != 2 || got.Status != "approved" || !got.ClosedAt.Equal(closed) || string(got.Data) != `{"v":2}` {
		t.Errorf("after put: %+v", got)
	}
	// A stale version is a conflict.
	err = s.Update(ctx, func(tx store.Tx) error {
		d.Version = 2
		return tx.PutDossier(ctx, d)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("PutDossier(stale) = %v, want ErrConflict", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Dossier(ctx, "missing")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("tx.Dossier(missing) = %v, want ErrNotFound", err)
	}
}

func testDossierPutRollsBack(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := dossier("HS1", d0.Add(time.Hour))
	if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		d2 := d
		d2.Version, d2.Status = 2, "approved"
		if err := tx.PutDossier(ctx, d2); err != nil {
			return err
		}
		if err := tx.PutPerson(ctx, person("079190000009", 1, "a", change("E1", "2026-01-01", t0))); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	if got, _ := s.Dossier(ctx, "HS1"); got.Version != 1 || got.Status != "submitted" {
		t.Errorf("a failed transaction changed the dossier: %+v", got)
	}
	if _, err := s.Person(ctx, "079190000009"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed transaction wrote a person: %v", err)
	}
}

func testDossierQueue(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := d0.Add(10 * time.Hour)
	for i := range 10 {
		d := dossier(fmt.Sprintf("HS%02d", i), d0.Add(time.Duration(i)*2*time.Hour))
		switch {
		case i == 9:
			d.Commune = "" // a province-level dossier
		case i == 8:
			d.Commune = "26737" // another commune
		case i == 0:
			d.ClosedAt, d.Status = d0.Add(time.Hour), "approved"
		case i == 1:
			d.Paused, d.Status = true, "info_requested"
		}
		if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := store.DossierQuery{Province: "79", Commune: "26734", OpenOnly: true, Limit: 3}
	page, err := s.DossierList(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(page); got != "HS01 HS02 HS03" {
		t.Errorf("queue page 1 = %s", got)
	}
	q.AfterTime, q.AfterCode = page[2].DueAt, page[2].Code
	page, _ = s.DossierList(ctx, q)
	if got := codes(page); got != "HS04 HS05 HS06" {
		t.Errorf("queue page 2 = %s", got)
	}
	over, _ := s.DossierList(ctx, store.DossierQuery{Province: "79", Commune: "26734", OpenOnly: true, OverdueAt: now, Limit: 10})
	if got := codes(over); got != "HS02 HS03 HS04" {
		t.Errorf("overdue = %s (HS01 is paused, HS05 is due at now)", got)
	}
	c, err := s.CountDossiers(ctx, store.DossierQuery{Province: "79", Commune: "26734"}, now)
	if err != nil || c != (store.DossierCounts{Open: 7, Overdue: 3, Paused: 1}) {
		t.Errorf("CountDossiers(commune) = %+v, %v", c, err)
	}
	c, _ = s.CountDossiers(ctx, store.DossierQuery{Province: "79"}, now)
	if c.Open != 9 {
		t.Errorf("CountDossiers(province) open = %d, want 9", c.Open)
	}
	c, _ = s.CountDossiers(ctx, store.DossierQuery{Province: "79", ProvinceOnly: true}, now)
	if c.Open != 1 {
		t.Errorf("CountDossiers(province only) open = %d, want 1", c.Open)
	}
	if _, err := s.DossierList(ctx, store.DossierQuery{OpenOnly: true, Limit: 1}); err == nil {
		t.Error("a query with no province and no applicant was accepted")
	}
}

func codes(ds []store.DossierRow) string {
	var b bytes.Buffer
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.Code)
	}
	return b.String()
}

func testDossierApplicantList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		d := dossier(fmt.Sprintf("HS%d", i), d0)
		d.SubmittedAt = d0.Add(time.Duration(i) * time.Minute)
		if i == 4 {
			d.ApplicantPIN = "079190000002"
		}
		if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := store.DossierQuery{ApplicantPIN: "079190000001", Limit: 2}
	page, _ := s.DossierList(ctx, q)
	if got := codes(page); got != "HS3 HS2" {
		t.Errorf("page 1 = %s", got)
	}
	q.AfterTime, q.AfterCode = page[1].SubmittedAt, page[1].Code
	page, _ = s.DossierList(ctx, q)
	if got := codes(page); got != "HS1 HS0" {
		t.Errorf("page 2 = %s", got)
	}
}

func testDossierStats(t *testing.T, s store.Store) {
	ctx := context.Background()
	from, to := d0.Add(-time.Hour), d0.Add(24*time.Hour)
	now := d0.Add(5 * time.Hour)
	rows := []store.DossierRow{
		dossier("A", d0.Add(2*time.Hour)), // open, overdue at now
		dossier("B", d0.Add(9*time.Hour)), // open, not yet due
		dossier("C", d0.Add(2*time.Hour)), // approved on time
		dossier("D", d0.Add(2*time.Hour)), // rejected late
		dossier("E", d0.Add(2*time.Hour)), // withdrawn
		dossier("F", d0.Add(2*time.Hour)), // another province
	}
	rows[2].Status, rows[2].ClosedAt = "approved", d0.Add(time.Hour)
	rows[3].Status, rows[3].ClosedAt = "rejected", d0.Add(3*time.Hour)
	rows[4].Status, rows[4].ClosedAt = "withdrawn", d0.Add(time.Hour)
	rows[5].Province, rows[5].Commune = "01", "00004"
	for _, d := range rows {
		if _, err := s.CreateDossier(ctx, d, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DossierStats(ctx, from, to, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DossierStat{
		{Procedure: "temporary_residence", Province: "01", Submitted: 1, Open: 1, Overdue: 1},
		{Procedure: "temporary_residence", Province: "79", Submitted: 5, Closed: 3, Decided: 2, OnTime: 1, Open: 2, Overdue: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DossierStats =\n%+v\nwant\n%+v", got, want)
	}
}

func testDossierNotifications(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := dossier("HS1", d0)
	if _, err := s.CreateDossier(ctx, d, nil, &store.NotificationRow{PIN: d.ApplicantPIN, Dossier: "HS1", Kind: "submitted", CreatedAt: d0}); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Notify(ctx, store.NotificationRow{PIN: d.ApplicantPIN, Dossier: "HS1", Kind: "accepted", CreatedAt: d0.Add(time.Minute)})
	})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.Notifications(ctx, d.ApplicantPIN, 0, 10)
	if err != nil || len(ns) != 2 || ns[0].Kind != "accepted" || ns[1].Kind != "submitted" || !ns[0].ReadAt.IsZero() {
		t.Fatalf("Notifications = %+v, %v", ns, err)
	}
	older, _ := s.Notifications(ctx, d.ApplicantPIN, ns[0].ID, 10)
	if len(older) != 1 || older[0].ID != ns[1].ID {
		t.Errorf("before %d = %+v", ns[0].ID, older)
	}
	if err := s.MarkNotificationsRead(ctx, d.ApplicantPIN, ns[1].ID, d0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ns, _ = s.Notifications(ctx, d.ApplicantPIN, 0, 10)
	if !ns[0].ReadAt.IsZero() || !ns[1].ReadAt.Equal(d0.Add(time.Hour)) {
		t.Errorf("after marking: %+v", ns)
	}
	if other, _ := s.Notifications(ctx, "079190000002", 0, 10); len(other) != 0 {
		t.Errorf("another citizen sees %+v", other)
	}
}

func testDossierConcurrentPuts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.CreateDossier(ctx, dossier("HS1", d0), nil, nil); err != nil {
		t.Fatal(err)
	}
	// Each writer expects version 1 and fails without retrying on a
	// conflict it detects itself, as the services package does.
	errStale := errors.New("stale")
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- s.Update(ctx, func(tx store.Tx) error {
				cur, err := tx.Dossier(ctx, "HS1")
				if err != nil {
					return err
				}
				if cur.Version != 1 {
					return errStale
				}
				cur.Version, cur.Status = 2, fmt.Sprintf("by-%d", i)
				return tx.PutDossier(ctx, cur)
			})
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, errStale):
			t.Errorf("loser got %v, want stale", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers won, want 1", won)
	}
}
