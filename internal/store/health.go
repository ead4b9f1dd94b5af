package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Health keeps the clinics' chip-card check-ins and answers the counts the
// statistics need (package health owns their meaning). The health book's
// records themselves are linked-dataset records (see Datasets).
type Health interface {
	// PutCheckIn records a check-in; ErrExists if its ID is taken.
	PutCheckIn(ctx context.Context, c CheckIn) error
	// CheckInsByPIN returns a person's check-ins, newest first, at most
	// limit.
	CheckInsByPIN(ctx context.Context, pin string, limit int) ([]CheckIn, error)
	// CheckInCounts counts check-ins since a time (zero: all): the distinct
	// facilities by method, and the distinct people served.
	CheckInCounts(ctx context.Context, since time.Time) (CheckInCounts, error)
	// VaccinationDoses counts, over the records of the datasets named, the
	// people by vaccine and number of distinct doses received: each record's
	// attributes hold "vaccine" and "dose". Ordered by vaccine, then doses.
	VaccinationDoses(ctx context.Context, datasets []string) ([]VaccineDoses, error)
}

// CheckIn is one patient's check-in at a health facility.
type CheckIn struct {
	ID        string
	Facility  string // the facility's agency id
	PIN       string
	At        time.Time // kept to the microsecond
	Method    string    // chip or qr
	Insurance string    // valid, expired, none: the health insurance found
	Actor     string    // the API client that submitted it
}

// CheckInCounts are the check-in counts for the statistics.
type CheckInCounts struct {
	CheckIns         int64
	Facilities       int64 // distinct facilities with any check-in
	ChipFacilities   int64 // distinct facilities with a chip check-in
	PeopleServed     int64 // distinct people checked in
	ChipPeopleServed int64 // distinct people checked in with the chip
}

// VaccineDoses is how many people received doses distinct doses of a
// vaccine.
type VaccineDoses struct {
	Vaccine string
	Doses   int
	People  int64
}

// CountVaccinationDoses implements Health.VaccinationDoses over any
// Datasets: it pages through the records of the datasets named and reads
// "vaccine" and "dose" from each document in Go, since the documents may be
// sealed (package seal) and no SQL can look inside them. A record without a
// vaccine is left out; one without a dose counts no dose.
func CountVaccinationDoses(ctx context.Context, d Datasets, datasets []string) ([]VaccineDoses, error) {
	const page = 4096
	type key struct{ pin, vaccine string }
	doses := map[key]map[string]bool{}
	for _, ds := range slices.Compact(slices.Sorted(slices.Values(datasets))) {
		after := ""
		for {
			recs, err := d.DatasetRecords(ctx, ds, after, page)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				var doc struct {
					Vaccine *json.RawMessage `json:"vaccine"`
					Dose    *json.RawMessage `json:"dose"`
				}
				if json.Unmarshal(r.Data, &doc) != nil || doc.Vaccine == nil {
					continue
				}
				k := key{r.PIN, jsonText(*doc.Vaccine)}
				if doses[k] == nil {
					doses[k] = map[string]bool{}
				}
				if doc.Dose != nil && string(*doc.Dose) != "null" {
					doses[k][jsonText(*doc.Dose)] = true
				}
			}
			if len(recs) < page {
				break
			}
			after = recs[len(recs)-1].Key
		}
	}
	type group struct {
		vaccine string
		n       int
	}
	people := map[group]int64{}
	for k, ds := range doses {
		people[group{k.vaccine, len(ds)}]++
	}
	out := make([]VaccineDoses, 0, len(people))
	for g, n := range people {
		out = append(out, VaccineDoses{Vaccine: g.vaccine, Doses: g.n, People: n})
	}
	slices.SortFunc(out, func(a, b VaccineDoses) int {
		if c := strings.Compare(a.Vaccine, b.Vaccine); c != 0 {
			return c
		}
		return a.Doses - b.Doses
	})
	return out, nil
}

// jsonText is a JSON value as text: a string without its quotes, anything
// else as written (so the dose 1 and the dose "1" are one dose).
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
