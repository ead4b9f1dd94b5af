package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// queryPlan returns SQLite's plan for a statement on the registry's file,
// one step a line.
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	return planOn(t, s.r, q, args...)
}

// planOn returns SQLite's plan for a statement on db, one step a line.
func planOn(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

func TestSearchSQL_Plans(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		q     store.PersonQuery
		index string
	}{
		{store.PersonQuery{NameKey: "nguyen"}, "persons_name"},
		{store.PersonQuery{NameKey: "nguyen", AfterKey: "nguyen van", AfterPIN: "001"}, "persons_name ((name_key,pin)>(?,?)"},
		{store.PersonQuery{NameKey: "nguyen", NameFold: "nguyễn", BirthYear: 1990, Sex: "male", Province: "79", Commune: "26734", BirthDate: "1990", State: "alive"}, "persons_name"},
		{store.PersonQuery{Commune: "26734"}, "persons_commune"},
		{store.PersonQuery{Commune: "26734", Province: "79", AfterPIN: "0"}, "persons_commune"},
		{store.PersonQuery{Province: "79", BirthYear: 1990}, "persons_province"},
		{store.PersonQuery{Sex: "male", BirthDate: "1990-01-01", AfterPIN: "0"}, "persons_birth_date (birth_date=? AND sex=? AND pin>?)"},
		{store.PersonQuery{Sex: "male", BirthDate: "1990-01-01"}, "persons_birth_date (birth_date=? AND sex=?)"},
		{store.PersonQuery{BirthDate: "1990-01-01", AfterPIN: "0"}, ""},
	} {
		tc.q.Limit = 20
		q, args := searchSQL(tc.q)
		plan := queryPlan(t, s, q, args...)
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%+v sorts:\n%s", tc.q, plan)
		}
		if tc.index != "" && !strings.Contains(plan, "INDEX "+tc.index) {
			t.Errorf("%+v does not use %s:\n%s", tc.q, tc.index, plan)
		}
		t.Logf("%+v:\n%s", tc.q, plan)
	}
}

// The point reads and event lists each use an index, never a scan.
func TestReadPlans(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		q     string
		args  []any
		index string
	}{
		{qPerson, []any{"p"}, "sqlite_autoindex_persons_1"},
		{qPersonAsOf, []any{"p", "2020-01-01"}, "person_versions_pin"},
		{qPersonHistory, []any{"p"}, "person_versions_pin"},
		{qHousehold, []any{"h"}, "PRIMARY KEY (id=?)"},
		{qHouseholdHistory, []any{"h"}, "household_versions_id"},
		{qEvent, []any{"e"}, "sqlite_autoindex_events_1"},
	} {
		plan := queryPlan(t, s, tc.q, tc.args...)
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.index) {
			t.Errorf("%s\nplan:\n%s\nwant a search on %s", tc.q, plan, tc.index)
		}
	}
	// Verification reads only the covering index, for one PIN or a batch.
	for _, tc := range []struct {
		q   string
		arg string
	}{{qVerifyRow, "p"}, {qVerifyRows, `["p","q"]`}} {
		if plan := queryPlan(t, s, tc.q, tc.arg); !strings.Contains(plan, "SEARCH persons USING COVERING INDEX persons_verify (pin=?)") {
			t.Errorf("%s\nplan:\n%s\nwant a search of the covering index persons_verify", tc.q, plan)
		}
	}
	for _, tc := range []struct {
		q     store.EventQuery
		index string
	}{
		{store.EventQuery{Subject: "p", Type: "t", Limit: 10}, "event_subjects_pin"},
		{store.EventQuery{Type: "t", AfterSeq: 5}, "events_type"},
		{store.EventQuery{AfterSeq: 5, Limit: 10}, "INTEGER PRIMARY KEY"},
	} {
		q, args := eventsSQL(tc.q)
		plan := queryPlan(t, s, q, args...)
		if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.index) {
			t.Errorf("%+v\nplan:\n%s\nwant %s", tc.q, plan, tc.index)
		}
	}
}
