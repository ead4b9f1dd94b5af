package store

import (
	"context"
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
