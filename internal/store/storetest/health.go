package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	healthTests = []conformanceTest{
		{"HealthCheckIns", testHealthCheckIns},
		{"HealthVaccinationDoses", testHealthVaccinationDoses},
	}
}

func testHealthCheckIns(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := t0.Truncate(time.Microsecond)
	ins := []store.CheckIn{
		{ID: "c1", Facility: "bv-a", PIN: "079190000001", At: at, Method: "chip", Insurance: "valid", Actor: "cl-a"},
		{ID: "c2", Facility: "bv-a", PIN: "079190000002", At: at.Add(time.Hour), Method: "qr", Insurance: "none", Actor: "cl-a"},
		{ID: "c3", Facility: "bv-b", PIN: "079190000001", At: at.Add(2 * time.Hour), Method: "qr", Insurance: "valid", Actor: "cl-b"},
	}
	for _, c := range ins {
		if err := s.PutCheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCheckIn(ctx, ins[0]); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutCheckIn of a taken id = %v, want ErrExists", err)
	}
	got, err := s.CheckInsByPIN(ctx, "079190000001", 10)
	if err != nil || len(got) != 2 || got[0].ID != "c3" || !got[1].At.Equal(at) || got[1].Method != "chip" {
		t.Fatalf("CheckInsByPIN = %+v, %v", got, err)
	}
	c, err := s.CheckInCounts(ctx, time.Time{})
	want := store.CheckInCounts{CheckIns: 3, Facilities: 2, ChipFacilities: 1, PeopleServed: 2, ChipPeopleServed: 1}
	if err != nil || c != want {
		t.Errorf("CheckInCounts = %+v, %v; want %+v", c, err, want)
	}
	c, _ = s.CheckInCounts(ctx, at.Add(30*time.Minute))
	if c.CheckIns != 2 || c.ChipFacilities != 0 {
		t.Errorf("CheckInCounts since = %+v", c)
	}
}

func testHealthVaccinationDoses(t *testing.T, s store.Store) {
	ctx := context.Background()
	rec := func(ds, key, pin, vaccine, dose string) store.DatasetRecord {
		return store.DatasetRecord{Dataset: ds, Key: key, PIN: pin, Source: "moh", Hash: []byte(key),
			Data: []byte(`{"date":"2024-01-01","dose":"` + dose + `","vaccine":"` + vaccine + `"}`)}
	}
	upsert(t, s,
		rec("vax", "1", "079190000001", "measles", "1"),
		rec("vax", "2", "079190000001", "measles", "2"),
		rec("vax", "3", "079190000002", "measles", "1"),
		rec("vax", "4", "079190000002", "measles", "1"), // the same dose twice counts once
		rec("vax", "5", "079190000002", "bcg", "1"),
		rec("other", "6", "079190000003", "bcg", "1"),
	)
	got, err := s.VaccinationDoses(ctx, []string{"vax"})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.VaccineDoses{{Vaccine: "bcg", Doses: 1, People: 1}, {Vaccine: "measles", Doses: 1, People: 1}, {Vaccine: "measles", Doses: 2, People: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VaccinationDoses = %v, want %v", got, want)
	}
	if got, _ := s.VaccinationDoses(ctx, []string{"vax", "other"}); len(got) != 3 || got[0].People != 2 {
		t.Errorf("two datasets: %v", got)
	}
}
