package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
)

// Tracker is what the data tracker page needs of the access log: a
// person's listing with inclusion proofs, and the key that signs the
// checkpoints the proofs are against. *audit.Log provides it.
type Tracker interface {
	Accesses(ctx context.Context, pin string, before int64, limit int, view audit.View) (audit.Tracking, error)
	Verifier() note.Verifier
}

// trackerPageSize is the number of accesses per page of the tracker.
const trackerPageSize = 50

// trackerPageFields are what the tracker page shows: the person's name and
// their access history.
var trackerPageFields = []string{"accesses", "full_name"}

// trackerView is the body of the tracker page.
type trackerView struct {
	PIN, FullName, PersonHref string
	// Checkpoint describes the signed checkpoint the proofs were checked
	// against; CheckpointOK is false when its signature did not verify.
	Checkpoint   int64
	HasCP        bool
	CheckpointOK bool
	Rows         []trackerRow
	NextHref     string
	FirstHref    string
}

// trackerRow is one access.
type trackerRow struct {
	Index      int64
	Time       string
	Actor      string
	ActorNote  string
	Agency     string
	Purpose    string
	CaseRef    string
	Sealed     bool
	SealedNote string
	Fields     []string
	Action     string
	// Proof is "ok", "pending" (newer than the checkpoint) or "bad".
	Proof     string
	ProofNote string
}

// tracker serves /console/people/{pin}/accesses: who accessed the person's
// data, newest first, each access with its inclusion proof checked here
// against the latest signed checkpoint. Auditors may list anyone; registrars
// only people residing (permanently, temporarily or currently) in their
// units; national administrators and the bootstrap administrator anyone.
func (h *Handler) tracker(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("pin")
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	if registry.CheckPIN("pin", p) != nil {
		h.render(w, r, http.StatusBadRequest, pageError, "error.invalid.title",
			errorView{TitleKey: "error.invalid.title", MessageKey: "search.err.pin"})
		return
	}
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			h.render(w, r, http.StatusBadRequest, pageError, "error.invalid.title",
				errorView{TitleKey: "error.invalid.title", MessageKey: "tracker.err.before", BackHref: trackerHref(p), BackKey: "tracker.first"})
			return
		}
		before = n
	}
	rec, err := h.reg.Person(r.Context(), p, registry.Date{})
	if err != nil {
		if registry.KindOf(err) == registry.NotFound {
			h.notFound(w, r, "error.not_found.person")
			return
		}
		h.serverError(w, r, err)
		return
	}
	if !mayTrack(rq, rec.Person) {
		h.notAllowed(w, r)
		return
	}
	tr, err := h.track.Accesses(r.Context(), p, before, trackerPageSize, audit.OfficerView)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := trackerView{PIN: p, FullName: rec.Person.FullName, PersonHref: personHref(p)}
	var cp audit.Checkpoint
	if tr.Checkpoint != nil {
		v.HasCP = true
		v.Checkpoint = tr.Checkpoint.Size
		// The listing's checkpoint is checked with the log's public key,
		// as a person checking it elsewhere would: a checkpoint that does
		// not verify proves nothing.
		opened, err := audit.OpenCheckpoint(tr.Checkpoint.Note, h.track.Verifier())
		if err == nil && opened == tr.Checkpoint.Checkpoint {
			v.CheckpointOK = true
			cp = opened
		} else {
			h.log.Error("console tracker: checkpoint does not verify", logKeyRequestID, rq.id, logKeyRoute, r.Pattern)
		}
	}
	officers := map[string]string{}
	for _, e := range tr.Entries {
		a := e.Access
		row := trackerRow{
			Index: e.Index, Time: c.Time(a.Time), Agency: a.Agency, Purpose: a.Purpose, CaseRef: a.CaseRef,
			Sealed: e.Sealed, Action: c.label("tracker.action.", a.Action),
		}
		if e.Sealed {
			row.SealedNote = c.T("tracker.sealed_until", a.SealedUntil)
		}
		row.Actor, row.ActorNote = h.actorLabel(r.Context(), c, a, officers)
		for _, f := range a.Fields {
			if c.has("tracker.field." + f) {
				row.Fields = append(row.Fields, c.T("tracker.field."+f))
			} else {
				row.Fields = append(row.Fields, c.label("field.", f))
			}
		}
		switch {
		case !v.CheckpointOK:
			row.Proof, row.ProofNote = "bad", c.T("tracker.proof_no_checkpoint")
		case e.Index >= cp.Size:
			row.Proof, row.ProofNote = "pending", c.T("tracker.proof_pending")
		case tlog.CheckRecord(e.Proof, cp.Size, cp.Root, e.Index, audit.LeafHash(e.Leaf)) == nil:
			row.Proof, row.ProofNote = "ok", c.T("tracker.proof_ok", cp.Size)
		default:
			row.Proof, row.ProofNote = "bad", c.T("tracker.proof_bad", cp.Size)
			h.log.Error("console tracker: inclusion proof does not verify", logKeyRequestID, rq.id, logKeyRoute, r.Pattern, "index", e.Index)
		}
		v.Rows = append(v.Rows, row)
	}
	if tr.NextBefore > 0 {
		v.NextHref = trackerHref(p) + "?before=" + strconv.FormatInt(tr.NextBefore, 10)
	}
	if before > 0 {
		v.FirstHref = trackerHref(p)
	}
	// Reading who accessed a person's data is itself a use of it.
	if !h.recordAccess(w, r, trackerPageFields, p) {
		return
	}
	h.render(w, r, http.StatusOK, pageTracker, "tracker.title", v)
}

// trackerPIN serves /console/accesses: a form that takes a PIN to the
// person's tracker, for auditors, who have no search page.
func (h *Handler) trackerPIN(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSpace(r.URL.Query().Get("pin"))
	v := trackerPINView{PIN: p}
	status := http.StatusOK
	if p != "" {
		if registry.CheckPIN("pin", p) == nil {
			http.Redirect(w, r, trackerHref(p), http.StatusSeeOther)
			return
		}
		v.Error, status = catalogueFor(reqOf(r).lang).T("search.err.pin"), http.StatusBadRequest
	}
	h.render(w, r, status, pageTrackPIN, "trackpin.title", v)
}

// trackerPINView is the body of the tracker's PIN form.
type trackerPINView struct{ PIN, Error string }

// actorLabel names who made an access: an agency's client, an officer (by
// display name, with their units), or the bootstrap administrator.
func (h *Handler) actorLabel(ctx context.Context, c catalogue, a audit.Access, officers map[string]string) (string, string) {
	switch a.ActorKind {
	case "client":
		return a.Actor, c.T("tracker.actor_client")
	case auth.Admin.Kind:
		return c.T("tracker.actor_admin"), ""
	case principalStaff:
		if h.staff == nil {
			return a.Actor, c.T("tracker.actor_staff")
		}
		if note, ok := officers[a.Actor]; ok {
			name, rest, _ := strings.Cut(note, "\x00")
			return name, rest
		}
		name, rest := a.Actor, c.T("tracker.actor_staff")
		if acct, err := h.staff.Account(ctx, a.Actor); err == nil {
			name = acct.DisplayName + " (" + acct.Username + ")"
			if len(acct.Scope) > 0 {
				units := make([]string, len(acct.Scope))
				for i, u := range acct.Scope {
					units[i] = u.String()
				}
				rest = c.T("tracker.actor_staff_units", strings.Join(units, ", "))
			}
		} else if !errors.Is(err, staff.ErrNotFound) {
			h.log.Error("console tracker: read officer", logKeyError, err.Error())
		}
		officers[a.Actor] = name + "\x00" + rest
		return name, rest
	}
	return a.Actor, a.ActorKind
}

// mayTrack decides whether the officer may list who accessed p's data:
// the bootstrap administrator and national administrators always, auditors
// always (they read the access log), registrars for the people residing in
// their units.
func mayTrack(rq *request, p *registry.Person) bool {
	if rq.account == nil {
		return rq.principal.Kind == auth.Admin.Kind
	}
	units := personUnits(p)
	if staff.Authorize(rq.account, staff.ReadAccessLog, units) == nil {
		return true
	}
	if staff.Authorize(rq.account, staff.ReadRegistry, units) != nil {
		return false
	}
	if rq.account.Has(staff.NationalAdmin) {
		return true
	}
	for _, s := range rq.account.Scope {
		for _, u := range units {
			if s.Covers(u) {
				return true
			}
		}
	}
	return false
}

// personUnits are the units a person resides in.
func personUnits(p *registry.Person) []staff.Unit {
	var out []staff.Unit
	for _, r := range []*registry.Residence{p.PermanentResidence, p.TemporaryResidence, p.CurrentResidence} {
		if r != nil && r.Province != "" {
			out = append(out, staff.Unit{Province: r.Province, Commune: r.Commune})
		}
	}
	return out
}

func trackerHref(pin string) string { return personHref(pin) + "/accesses" }

// trackerLinkShown reports whether the person page links to the tracker.
func (h *Handler) trackerLinkShown(rq *request, p *registry.Person) bool {
	return h.track != nil && mayTrack(rq, p)
}
