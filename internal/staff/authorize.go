package staff

import (
	"slices"

	"github.com/dancu/dancu/internal/registry"
)

// Action is something a staff member asks to do.
type Action string

// The actions the console and API check.
const (
	// ManageStaff: create accounts, assign roles and scopes, disable, reset.
	ManageStaff Action = "manage_staff"
	// ReadRegistry: search people, read records, households and history.
	ReadRegistry Action = "read_registry"
	// SubmitEvent: post a life event. Scoped: the targets are the units the
	// event belongs to (see registry.Submission.Authorize).
	SubmitEvent Action = "submit_event"
	// ReadAccessLog: read who accessed which records.
	ReadAccessLog Action = "read_access_log"
	// ReadStatistics: read population statistics.
	ReadStatistics Action = "read_statistics"
	// ManageConnections: register connected agencies, their API clients,
	// grants, webhook subscriptions and datasets, and redeliver dead
	// letters. National administrators only.
	ManageConnections Action = "manage_connections"
	// ProcessDossier: work the queue of online public-service dossiers
	// (accept, request information, approve, reject). Registrars, scoped:
	// the target is the unit that handles the dossier.
	ProcessDossier Action = "process_dossier"
	// ConfigureServices: change procedures' fees, deadlines and attachments.
	// National administrators only.
	ConfigureServices Action = "configure_services"
	// ReviewDuplicates: work the review queue of duplicate detection
	// (compare a pair, merge or dismiss it). Registrars, scoped: the
	// targets are the permanent residences of the pair's two people, either
	// of which places it; merging is also a life event, authorized as such.
	ReviewDuplicates Action = "review_duplicates"
	// VerifyIdentity: raise a citizen's electronic identification account to
	// level 2, or recover it, after checking the person and the chip card in
	// person. Registrars, scoped: the targets are the person's permanent,
	// temporary and current residences, any of which places the check.
	VerifyIdentity Action = "verify_identity"
)

// Actions lists every action, for exhaustive tests.
var Actions = []Action{ManageStaff, ReadRegistry, SubmitEvent, ReadAccessLog, ReadStatistics, ManageConnections, ProcessDossier, ConfigureServices, ReviewDuplicates, VerifyIdentity}

// Authorize decides whether account may do act on targets. It returns nil
// or ErrForbidden; it reads nothing but its arguments, so the same decision
// can be made inside a registry transaction on the records loaded there.
//
// Targets are the units the action belongs to, as alternatives: a birth
// belongs both to the place where it is registered and to the household the
// child joins, and a registrar of either may register it. A scoped action
// with no target is refused to a scoped role: with nothing to place it, it
// cannot be shown to lie within the scope.
//
// Reading the registry is allowed to registrars everywhere, not only in
// their units: an event in their commune names parents, spouses and
// households elsewhere, and every read is in the access log.
func Authorize(a *Account, act Action, targets []Unit) error {
	if a == nil || a.Disabled {
		return ErrForbidden
	}
	if a.Has(NationalAdmin) && slices.Contains(Actions, act) {
		return nil
	}
	switch act {
	case ReadRegistry:
		if a.Has(Registrar) {
			return nil
		}
	case SubmitEvent, ProcessDossier, ReviewDuplicates, VerifyIdentity:
		if a.Has(Registrar) && inScope(a.Scope, targets) {
			return nil
		}
	case ReadAccessLog:
		if a.Has(Auditor) {
			return nil
		}
	case ReadStatistics:
		if a.Has(Statistician) {
			return nil
		}
	}
	return ErrForbidden
}

// inScope reports whether any target lies in any unit of scope.
func inScope(scope, targets []Unit) bool {
	for _, t := range targets {
		for _, s := range scope {
			if s.Covers(t) {
				return true
			}
		}
	}
	return false
}

// EventAuthorizer returns the hook a registry.Submission carries for an
// event posted by a: the registry calls it inside its transaction with the
// units the event belongs to, read from the records as they are there.
// National administrators need no hook (nil).
func EventAuthorizer(a *Account) func([]registry.UnitRef) error {
	if a.Has(NationalAdmin) && !a.Disabled {
		return nil
	}
	return func(refs []registry.UnitRef) error {
		targets := make([]Unit, len(refs))
		for i, r := range refs {
			targets[i] = Unit{Province: r.Province, Commune: r.Commune}
		}
		return Authorize(a, SubmitEvent, targets)
	}
}

// Allowed reports whether a may do act anywhere at all: the check for
// showing a page or a link before the targets of an action are known. The
// action itself is still decided by Authorize on its targets.
func Allowed(a *Account, act Action) bool {
	if a == nil {
		return false
	}
	return Authorize(a, act, a.Scope) == nil
}
