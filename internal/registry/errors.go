package registry

import (
	"errors"
	"fmt"
)

// ErrorKind classifies why a request to the registry failed, so that the HTTP
// layer can choose a status without parsing messages.
type ErrorKind int

// The kinds of failure.
const (
	// Invalid: the request itself is malformed (HTTP 400/422).
	Invalid ErrorKind = iota + 1
	// NotFound: a person, household or event the request names does not exist (404).
	NotFound
	// Conflict: the request is well formed but impossible in the current state
	// of the registry, such as the death of a dead person (409).
	Conflict
	// Stale: the client's If-Match version is not the current one (412).
	Stale
	// Forbidden: the submitter may not do this to these records, such as a
	// registrar posting an event for someone outside their units (403).
	Forbidden
)

// Error is a failure the client can act on. Field names the offending input in
// the API's snake_case path ("data.spouse_pin"); Reason says what is wrong in
// words that never contain personal data.
type Error struct {
	Kind   ErrorKind
	Field  string
	Reason string
	// Duplicates lists, on a registration refused because the person may
	// already be on record, the people it may be (see Screen). Callers
	// show each only to a submitter allowed to read it.
	Duplicates []PossibleDuplicate
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func conflict(field, format string, args ...any) *Error {
	return &Error{Kind: Conflict, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func notFound(field, what string) *Error {
	return &Error{Kind: NotFound, Field: field, Reason: what + " not found"}
}

// KindOf returns the kind of a registry error, or 0 for any other error.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
