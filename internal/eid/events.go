package eid

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Event types, as the citizen's page lists them.
const (
	EventCreated        = "created"
	EventLevelRaised    = "level_raised"
	EventPasswordChange = "password_changed"
	EventNewDevice      = "new_device"
	EventSignedIn       = "signed_in"
	EventSignInFailed   = "sign_in_failed"
	EventLocked         = "locked"
	EventTOTPEnrolled   = "totp_enrolled"
	EventSessionRevoked = "session_revoked"
	EventRecovered      = "recovered"
	EventOrganisation   = "organisation_registered"
	// EventRepresentativeChanged is an organisation's: an officer made
	// another citizen its legal representative (Detail: the document).
	EventRepresentativeChanged = "representative_changed"
	// EventOrganisationHandedOver and EventOrganisationReceived are the
	// former and the new representative's (Detail: the tax code).
	EventOrganisationHandedOver = "organisation_handed_over"
	EventOrganisationReceived   = "organisation_received"
	// EventOrganisationClosed is the organisation's and its
	// representative's: its account was closed (on the organisation's,
	// Detail is the reason; on the representative's, the tax code).
	EventOrganisationClosed = "organisation_closed"
)

// Event is one event of an account, as shown to its holder. It holds no
// secret; Address is the source address with its last part hidden.
type Event struct {
	Seq     int64     `json:"-"`
	At      time.Time `json:"-"`
	Type    string    `json:"-"`
	Device  string    `json:"device,omitempty"`
	Address string    `json:"address,omitempty"`
	// Officer and Station are set on events an officer caused.
	Officer string `json:"officer,omitempty"`
	Station string `json:"station,omitempty"`
	// Level is the level an account was raised to.
	Level int `json:"level,omitempty"`
	// Detail is a short code: the second factor used ("totp", "sms"), why
	// a sign-in failed ("password", "code"), an organisation's tax code.
	Detail string `json:"detail,omitempty"`
}

// event records an event of an account. A failure to record is logged and
// does not fail the action it describes.
func (s *Service) event(ctx context.Context, accountID, typ string, e Event) {
	data, err := json.Marshal(e)
	if err == nil {
		err = s.st.AppendEIDEvent(ctx, store.EIDEvent{AccountID: accountID, At: s.now().UTC(), Type: typ, Data: data})
	}
	if err != nil {
		s.log.ErrorContext(ctx, "eid: record account event", "account", accountID, "type", typ, "err", err)
	}
}

// Events returns up to limit events of an account older than before (0:
// from the newest), newest first, and the before of the next page (0 when
// there is none).
func (s *Service) Events(ctx context.Context, accountID string, before int64, limit int) ([]Event, int64, error) {
	rows, err := s.st.EIDEvents(ctx, accountID, before, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("eid: events: %w", err)
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		var e Event
		if err := json.Unmarshal(r.Data, &e); err != nil {
			return nil, 0, fmt.Errorf("eid: decode event %d: %w", r.Seq, err)
		}
		e.Seq, e.At, e.Type = r.Seq, r.At, r.Type
		out = append(out, e)
	}
	var next int64
	if len(rows) == limit && limit > 0 {
		next = rows[len(rows)-1].Seq
	}
	return out, next, nil
}
