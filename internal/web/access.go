package web

import (
	"net/http"

	"github.com/dancu/dancu/internal/audit"
)

// purposeAdministration is the purpose recorded for officers' console use.
const purposeAdministration = "registry.administration"

// personPageFields are what the person page shows: the whole record and its
// history.
var personPageFields = []string{"record", "history"}

// searchResultFields are what a search result row shows of each person.
var searchResultFields = []string{"pin", "full_name", "birth_date", "sex", "permanent_residence", "status"}

// householdPageFields are what the household page shows of each member.
var householdPageFields = []string{"household_id", "permanent_residence", "full_name", "birth_date", "sex", "status", "relationship_to_head"}

// recordAccess records that the signed-in officer is shown the people's
// data, before anything is written. If it cannot, it answers 503 and
// reports false: nothing is shown that the log does not account for.
func (h *Handler) recordAccess(w http.ResponseWriter, r *http.Request, fields []string, pins ...string) bool {
	return h.record(w, r, "read", fields, pins...)
}

// record is recordAccess for any action ("read", "write").
func (h *Handler) record(w http.ResponseWriter, r *http.Request, action string, fields []string, pins ...string) bool {
	if len(pins) == 0 {
		return true
	}
	rq := reqOf(r)
	as := make([]audit.Access, len(pins))
	for i, p := range pins {
		as[i] = audit.Access{
			ActorKind: rq.principal.Kind, Actor: rq.principal.ID, Purpose: purposeAdministration,
			PIN: p, Fields: fields, Action: action, RequestID: rq.id,
		}
	}
	if err := h.rec.Record(r.Context(), as...); err != nil {
		h.log.Error("console access not recorded", logKeyRequestID, rq.id, logKeyRoute, r.Pattern, logKeyError, err.Error())
		h.render(w, r, http.StatusServiceUnavailable, pageError, "error.internal.title", errorView{
			TitleKey: "error.internal.title", MessageKey: "error.internal.body", RequestID: rq.id,
		})
		return false
	}
	return true
}
