package registry_test

import (
	"slices"
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

func TestSubmit_RecordsMerged(t *testing.T) {
	w := newWorld(t)
	husband, _, household := w.family()
	// The same man registered a second time, without diacritics.
	dup := w.submit("initial_registration", "", "2022-03-01", obj{
		"full_name": "Nguyen Van An", "birth_date": "1980-05-01", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "01"}, "household_id": household, "relationship": "other",
	}).PIN

	res := w.submit("records_merged", dup, "2026-11-01", obj{"into": husband})
	if len(res.People) != 2 {
		t.Fatalf("merge wrote %d people, want 2", len(res.People))
	}
	retired, kept := w.person(dup).Person, w.person(husband).Person
	if retired.MergedInto != husband || !slices.Contains(retired.LinkedPINs, husband) {
		t.Errorf("retired record: merged_into %q, linked %v", retired.MergedInto, retired.LinkedPINs)
	}
	if kept.MergedInto != "" || !slices.Contains(kept.LinkedPINs, dup) {
		t.Errorf("surviving record: merged_into %q, linked %v", kept.MergedInto, kept.LinkedPINs)
	}
	// Both keep their history: the merge is one more version of each.
	for _, p := range []string{dup, husband} {
		h, err := w.reg.History(w.ctx, p)
		if err != nil || len(h) < 2 {
			t.Fatalf("history of %s: %d versions, %v", p, len(h), err)
		}
	}
	// The retired record takes no further event, and cannot be merged again.
	_, err := w.try("temporary_absence_declaration", dup, "2026-11-02", obj{"from": "2026-11-02"})
	wantKind(t, err, registry.Conflict, "subject")
	_, err = w.try("records_merged", husband, "2026-11-02", obj{"into": dup})
	wantKind(t, err, registry.Conflict, "data.into")
}

func TestSubmit_RecordsMergedRefused(t *testing.T) {
	w := newWorld(t)
	husband, wife, _ := w.family()
	tests := []struct {
		name, subject string
		data          any
		kind          registry.ErrorKind
		field         string
	}{
		{"no target", wife, obj{}, registry.Invalid, "data.into"},
		{"itself", wife, obj{"into": wife}, registry.Invalid, "data.into"},
		{"unknown target", wife, obj{"into": "001080999999"}, registry.NotFound, "data.into"},
		{"unknown field", wife, obj{"into": husband, "keep": "both"}, registry.Invalid, "data.keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.person(tt.subject).Version
			_, err := w.try("records_merged", tt.subject, "2026-11-01", tt.data)
			wantKind(t, err, tt.kind, tt.field)
			if after := w.person(tt.subject).Version; after != before {
				t.Errorf("refused merge wrote a version: %d -> %d", before, after)
			}
		})
	}
}
