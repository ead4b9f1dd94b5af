package web

import (
	"net/http"

	"github.com/dancu/dancu/internal/registry"
)

// householdView is the body of the household page.
type householdView struct {
	ID         string
	Address    value
	Since      string
	FileNumber string
	Version    string
	Dissolved  string
	Head       *memberRow
	Members    []memberRow
}

// memberRow is one member in the household's table.
type memberRow struct {
	PIN          string
	Href         string
	FullName     string
	Relationship string
	Birth        string
	Sex          string
	Status       string
	StatusClass  string
	NoRecord     bool
}

// maxHouseholdID bounds the ids looked up; registry ids are 13 characters.
const maxHouseholdID = 64

func (h *Handler) household(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !plausibleID(id) {
		// Not an id the registry could have issued: skip the lookup.
		h.notFound(w, r, "error.not_found.household")
		return
	}
	rec, err := h.reg.Household(r.Context(), id)
	if registry.KindOf(err) == registry.NotFound {
		h.notFound(w, r, "error.not_found.household")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	lang := reqOf(r).lang
	vw := h.viewer(lang)
	c := vw.c
	hh := rec.Household
	v := householdView{
		ID:         hh.ID,
		FileNumber: hh.ResidenceFileNumber,
		Version:    c.T("household.version", rec.Version, vw.validFrom(rec.Change.ValidFrom)),
	}
	v.Address = vw.units(hh.Address.Province, hh.Address.Commune, residenceDate(hh.Address.ValidFrom, vw.today))
	if hh.Address.Address != "" {
		v.Address.Text = hh.Address.Address + ", " + v.Address.Text
	}
	v.Since = vw.span(hh.Address.ValidFrom, hh.Address.ValidTo)
	if !hh.Dissolved.IsZero() {
		v.Dissolved = c.T("household.dissolved", c.Date(hh.Dissolved))
	}
	// A household has a handful of members: one read each is fine, and
	// reading the current records shows names as they are today.
	for _, m := range hh.Members {
		mr := memberRow{PIN: m.PIN, Href: personHref(m.PIN), Relationship: c.label("rel.", m.Relationship)}
		prec, err := h.reg.Person(r.Context(), m.PIN, registry.Date{})
		switch {
		case registry.KindOf(err) == registry.NotFound || registry.KindOf(err) == registry.Invalid:
			mr.NoRecord = true
			mr.FullName = c.T("household.missing_record")
		case err != nil:
			h.serverError(w, r, err)
			return
		default:
			p := prec.Person
			mr.FullName = p.FullName
			mr.Birth = c.Date(p.BirthDate)
			mr.Sex = c.label("sex.", string(p.Sex))
			mr.Status = c.label("state.", string(p.Status.State))
			mr.StatusClass = statusClass(p.Status.State)
		}
		if m.PIN == hh.Head {
			head := mr
			v.Head = &head
		}
		v.Members = append(v.Members, mr)
	}
	pins := make([]string, 0, len(v.Members))
	for _, m := range v.Members {
		pins = append(pins, m.PIN)
	}
	if !h.recordAccess(w, r, householdPageFields, pins...) {
		return
	}
	h.render(w, r, http.StatusOK, pageHousehold, "household.title", v)
}

// plausibleID reports whether id could be a household id: short, letters
// and digits only.
func plausibleID(id string) bool {
	if id == "" || len(id) > maxHouseholdID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
