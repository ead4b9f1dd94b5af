package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/registry"
)

// personView is the body of the person page.
type personView struct {
	PIN         string
	FullName    string
	Status      string
	StatusClass string
	Version     string
	Href        string

	AsOf       string // the as_of input, as typed
	AsOfNotice string // set when a past version is shown
	AsOfError  string

	Sections      []section
	Documents     []documentRow
	HouseholdHref string
	History       []historyEntry
	// TrackerHref links to who accessed the person's data, for officers
	// allowed to see it.
	TrackerHref string
}

// documentRow is one identity card in the documents table.
type documentRow struct {
	Kind, Number, Issued, Place, Expiry, Chip, Status string
	Current                                           bool
}

// historyEntry is one version in the history, newest first.
type historyEntry struct {
	Version   int64
	ValidFrom string
	AsOfHref  string
	Recorded  string
	Event     string
	EventCode string
	Actor     string
	Reason    string
	Created   bool
	Changes   []change
	Shown     bool
}

func (h *Handler) person(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("pin")
	if registry.CheckPIN("pin", p) != nil {
		h.badPIN(w, r, p)
		return
	}
	lang := reqOf(r).lang
	c := catalogueFor(lang)
	asOfText := strings.TrimSpace(r.URL.Query().Get("as_of"))
	var asOf registry.Date
	var asOfErr string
	if asOfText != "" {
		d, ok := parseAsOf(asOfText)
		if ok {
			asOf = d
		} else {
			asOfErr = c.T("person.err.as_of")
		}
	}
	rec, err := h.reg.Person(r.Context(), p, asOf)
	switch registry.KindOf(err) {
	case 0:
		if err != nil {
			h.serverError(w, r, err)
			return
		}
	case registry.NotFound:
		if asOf.IsZero() {
			h.notFound(w, r, "error.not_found.person")
			return
		}
		// The person may exist and only have had no record yet on that day.
		if _, cerr := h.reg.Person(r.Context(), p, registry.Date{}); cerr != nil {
			if registry.KindOf(cerr) == registry.NotFound {
				h.notFound(w, r, "error.not_found.person")
			} else {
				h.serverError(w, r, cerr)
			}
			return
		}
		h.render(w, r, http.StatusNotFound, pageError, "error.not_found.title", errorView{
			TitleKey: "error.not_found.title",
			Message:  c.T("person.no_record_at", c.Date(asOf)),
			BackHref: personHref(p), BackKey: "person.as_of_current",
		})
		return
	default:
		h.serverError(w, r, err)
		return
	}
	history, err := h.reg.History(r.Context(), p)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	vw := h.viewer(lang)
	v, err := vw.personView(rec, history)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !h.recordAccess(w, r, personPageFields, p) {
		return
	}
	// The box is plain text rather than a date input, whose format follows
	// the browser's locale instead of the page's language; a date that
	// parsed is shown back in the language's format.
	v.AsOf = asOfText
	if !asOf.IsZero() {
		v.AsOf = c.Date(asOf)
	}
	v.AsOfError = asOfErr
	if h.trackerLinkShown(reqOf(r), rec.Person) {
		v.TrackerHref = trackerHref(p)
	}
	if !asOf.IsZero() && len(history) > 0 && rec.Version != history[len(history)-1].Version {
		v.AsOfNotice = c.T("person.viewing_as_of", c.Date(asOf), rec.Version)
	}
	status := http.StatusOK
	if asOfErr != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, pagePerson, "person.title", v)
}

var dmyDate = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)

// parseAsOf reads an as-of date typed as ISO (what a date input sends) or
// as dd/mm/yyyy (what a Vietnamese officer types into a plain text box).
func parseAsOf(s string) (registry.Date, bool) {
	if m := dmyDate.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		s = fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
	}
	d, err := registry.ParseDate(s)
	if err != nil || !d.IsFull() {
		return registry.Date{}, false
	}
	return d, true
}

// personView lays a record out in sections and its history with the changes
// of each version.
func (v viewer) personView(rec *registry.Record, history []*registry.Record) (personView, error) {
	p := rec.Person
	c := v.c
	pv := personView{
		PIN: p.PIN, FullName: p.FullName, Href: personHref(p.PIN),
		Status: c.label("state.", string(p.Status.State)), StatusClass: statusClass(p.Status.State),
		Version: c.T("person.version", rec.Version, v.validFrom(rec.Change.ValidFrom)),
	}
	birth := dateOr(p.BirthDate, v.today)

	identity := section{ID: "identity", Title: c.T("person.identity"), Rows: []row{
		v.text("field.pin", p.PIN),
		v.text("field.full_name", p.FullName),
		v.text("field.other_name", p.OtherName),
		v.date("field.birth_date", p.BirthDate),
		v.coded("field.sex", "sex.", string(p.Sex)),
		v.text("field.ethnicity", v.ethnicity(p.Ethnicity)),
		v.text("field.religion", p.Religion),
		v.text("field.nationality", v.country(p.Nationality)),
		v.text("field.blood_type", p.BloodType),
		v.text("field.old_id_number", p.OldIDNumber),
		v.coded("field.marital_status", "marital.", string(p.MaritalStatus)),
	}}
	if len(p.LinkedPINs) > 0 {
		r := row{Label: c.T("field.linked_pins")}
		for _, lp := range p.LinkedPINs {
			r.Values = append(r.Values, value{Text: lp, Href: personHref(lp)})
		}
		identity.Rows = append(identity.Rows, r)
	}

	birthSec := section{ID: "birth", Title: c.T("person.birth"), Rows: []row{
		v.place("field.place_of_birth", p.PlaceOfBirth, birth),
		v.place("field.birth_registration_place", p.BirthRegistrationPlace, birth),
		v.place("field.hometown", p.Hometown, birth),
	}}

	residence := section{ID: "residence", Title: c.T("person.residence"), Rows: []row{
		v.residence("field.permanent_residence", p.PermanentResidence),
		v.residence("field.temporary_residence", p.TemporaryResidence),
		v.residence("field.current_residence", p.CurrentResidence),
		v.absence(p.TemporaryAbsence),
		v.text("field.residence_file_number", p.ResidenceFileNumber),
	}}

	relations := section{ID: "relations", Title: c.T("person.relations")}
	for _, x := range []struct {
		key string
		rs  []registry.Relative
	}{
		{"field.father", deref(p.Father)},
		{"field.mother", deref(p.Mother)},
		{"field.spouse", deref(p.Spouse)},
		{"field.children", p.Children},
		{"field.legal_representative", deref(p.LegalRepresentative)},
		{"field.represented", p.Represented},
	} {
		if len(x.rs) > 0 {
			relations.Rows = append(relations.Rows, v.relativeRow(x.key, x.rs...))
		}
	}

	household := section{ID: "household", Title: c.T("person.household")}
	if p.HouseholdID != "" {
		pv.HouseholdHref = householdHref(p.HouseholdID)
		household.Rows = []row{
			{Label: c.T("field.household_id"), Values: []value{{Text: p.HouseholdID, Href: pv.HouseholdHref}}},
			v.coded("field.relationship_to_head", "rel.", p.RelationshipToHead),
		}
	}

	status := section{ID: "status", Title: c.T("person.status"), Rows: []row{
		v.coded("field.state", "state.", string(p.Status.State)),
	}}
	if !p.Status.Date.IsZero() {
		status.Rows = append(status.Rows, v.date("person.status_date."+string(p.Status.State), p.Status.Date))
	}
	contact := section{ID: "contact", Title: c.T("person.contact"), Rows: []row{
		v.text("field.phone", p.Phone),
		v.text("field.email", p.Email),
	}}
	pv.Sections = []section{identity, birthSec, residence, relations, household, status, contact}

	for _, d := range p.Documents {
		chip := c.T("value.no")
		if d.Chip {
			chip = c.T("value.yes")
		}
		pv.Documents = append(pv.Documents, documentRow{
			Kind: c.label("doc.", string(d.Kind)), Number: d.Number, Issued: c.Date(d.IssueDate),
			Place: d.Place, Expiry: c.Date(d.Expiry), Chip: chip, Status: c.label("docstatus.", d.Status),
			Current: d.Status == "valid",
		})
	}

	var prev []byte
	for _, h := range history {
		doc, err := json.Marshal(h.Person)
		if err != nil {
			return pv, fmt.Errorf("web: encode version %d: %w", h.Version, err)
		}
		e := historyEntry{
			Version: h.Version, ValidFrom: v.validFrom(h.Change.ValidFrom),
			Recorded: c.Time(h.Change.RecordedAt), Event: c.label("event.", h.Change.EventType),
			EventCode: h.Change.EventType, Actor: h.Change.Actor, Reason: h.Change.Reason,
			Created: prev == nil, Shown: h.Version == rec.Version,
		}
		if h.Change.ValidFrom != "" {
			e.AsOfHref = personHref(p.PIN) + "?as_of=" + url.QueryEscape(h.Change.ValidFrom)
		}
		if prev != nil {
			fcs, err := diffJSON(prev, doc, personOrder())
			if err != nil {
				return pv, err
			}
			e.Changes = v.changes(fcs)
		}
		prev = doc
		pv.History = append(pv.History, e)
	}
	// Newest first: officers look for the latest change.
	for i, j := 0, len(pv.History)-1; i < j; i, j = i+1, j-1 {
		pv.History[i], pv.History[j] = pv.History[j], pv.History[i]
	}
	return pv, nil
}

// validFrom formats a version's ISO ValidFrom date.
func (v viewer) validFrom(iso string) string {
	d, err := registry.ParseDate(iso)
	if err != nil {
		return iso
	}
	return v.c.Date(d)
}

func (v viewer) absence(a *registry.Absence) row {
	r := row{Label: v.c.T("field.temporary_absence")}
	if a == nil {
		return r
	}
	val := value{Text: a.Destination, Note: v.span(a.From, a.To)}
	if val.Text == "" {
		val.Text, val.Note = val.Note, ""
	}
	r.Values = []value{val}
	return r
}

func deref(r *registry.Relative) []registry.Relative {
	if r == nil {
		return nil
	}
	return []registry.Relative{*r}
}
