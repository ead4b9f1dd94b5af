package registry

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// PersonRow derives the store row of a person at a version: the index columns
// and the JSON document. It is the one place that decides what the store can
// search on, used by events and by bulk loads alike.
func PersonRow(p *Person, version int64) (store.PersonRow, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return store.PersonRow{}, fmt.Errorf("registry: encode person: %w", err)
	}
	row := store.PersonRow{
		PIN:         p.PIN,
		Version:     version,
		NameKey:     vntext.Key(p.FullName),
		NameFold:    vntext.Fold(p.FullName),
		BirthYear:   p.BirthDate.Year,
		BirthDate:   p.BirthDate.String(),
		Sex:         string(p.Sex),
		State:       string(p.Status.State),
		HouseholdID: p.HouseholdID,
		Data:        data,
	}
	if r := p.PermanentResidence; r != nil {
		row.Province, row.Commune = r.Province, r.Commune
	}
	return row, nil
}

// HouseholdRow derives the store row of a household at a version.
func HouseholdRow(h *Household, version int64) (store.HouseholdRow, error) {
	data, err := json.Marshal(h)
	if err != nil {
		return store.HouseholdRow{}, fmt.Errorf("registry: encode household: %w", err)
	}
	return store.HouseholdRow{
		ID: h.ID, Version: version, HeadPIN: h.Head,
		Province: h.Address.Province, Commune: h.Address.Commune, Data: data,
	}, nil
}

func decodePerson(row store.PersonRow) (*Person, error) {
	var p Person
	if err := json.Unmarshal(row.Data, &p); err != nil {
		return nil, fmt.Errorf("registry: decode person version %d: %w", row.Version, err)
	}
	return &p, nil
}

func decodeHousehold(row store.HouseholdRow) (*Household, error) {
	var h Household
	if err := json.Unmarshal(row.Data, &h); err != nil {
		return nil, fmt.Errorf("registry: decode household version %d: %w", row.Version, err)
	}
	return &h, nil
}

// ETag returns the entity tag of a record version, as sent in ETag and
// expected in If-Match.
func ETag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ParseETag returns the version an If-Match value names. It accepts the
// quoted form dancu sends and a bare version number.
func ParseETag(s string) (int64, error) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if len(s) > 0 && s[0] == 'v' {
		s = s[1:]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return 0, invalid("If-Match", "must be an entity tag such as \"v3\"")
	}
	return v, nil
}
