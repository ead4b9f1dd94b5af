package eid

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Account kinds.
const (
	KindCitizen      = "citizen"
	KindOrganisation = "organisation"
)

// The assurance levels of Decree 69/2024.
const (
	// Level1 is registered by the citizen online: it proves the PIN, name,
	// date of birth and sex the registry holds for the person whose phone
	// received the code.
	Level1 = 1
	// Level2 is raised by the police after checking the person and the
	// chip card in person: worth the same as showing the card.
	Level2 = 2
)

// Account is an electronic identification account, stored as the Data of a
// store.EIDAccount. Secrets (the password hash, the TOTP secret) never
// leave this package.
type Account struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	PIN   string `json:"pin,omitempty"`
	Level int    `json:"level"`
	// Phone is where one-time codes go (E.164), taken from the registry at
	// registration and at an officer's recovery.
	Phone        string `json:"phone,omitempty"`
	PasswordHash string `json:"password_hash,omitempty"`
	// TOTPSecret is set once an authenticator is enrolled and confirmed;
	// TOTPPending holds a secret shown but not confirmed yet.
	TOTPSecret  string `json:"totp_secret,omitempty"`
	TOTPPending string `json:"totp_pending,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
	// MustChangePassword is set by an officer's recovery: the temporary
	// password was seen by someone else.
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// SessionsNotBefore ends every session started before it.
	SessionsNotBefore time.Time `json:"sessions_not_before,omitzero"`
	CreatedAt         time.Time `json:"created_at"`
	PasswordChangedAt time.Time `json:"password_changed_at,omitzero"`
	LastSignIn        time.Time `json:"last_sign_in,omitzero"`
	// Devices are the kinds of browser that signed in (a hash of the
	// browser family and platform), to tell the citizen about a new one.
	Devices []string `json:"devices,omitempty"`
	// LevelCheck is the in-person check that raised the account to level 2.
	LevelCheck *InPersonCheck `json:"level_check,omitempty"`
	// Organisation is set on an organisation's account.
	Organisation *Organisation `json:"organisation,omitempty"`
	// Representative is the citizen account that registered an
	// organisation's account (its legal representative).
	Representative string `json:"representative,omitempty"`
	// Closed is set when an organisation's account was closed (Disabled is
	// then set too).
	Closed *Closure `json:"closed,omitempty"`

	version int64
}

// InPersonCheck records an officer's check of a person at a police
// station: the officer, the station, the chip card read and when.
type InPersonCheck struct {
	Officer string    `json:"officer"`
	Station string    `json:"station,omitempty"`
	Card    string    `json:"card"` // the card number the chip carried
	At      time.Time `json:"at"`
	// Purpose is "level2" or "recovery".
	Purpose string `json:"purpose"`
}

// Organisation is what an organisation's account identifies.
type Organisation struct {
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
}

// HasTOTP reports whether an authenticator app is enrolled.
func (a *Account) HasTOTP() bool { return a.TOTPSecret != "" }

func decodeAccount(r store.EIDAccount) (*Account, error) {
	var a Account
	if err := json.Unmarshal(r.Data, &a); err != nil {
		return nil, fmt.Errorf("eid: decode account %s: %w", r.ID, err)
	}
	a.version = r.Version
	return &a, nil
}

func (a *Account) row() (store.EIDAccount, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return store.EIDAccount{}, err
	}
	parent := ""
	if a.Kind == KindOrganisation {
		parent = a.Representative
	}
	return store.EIDAccount{ID: a.ID, Kind: a.Kind, PIN: a.PIN, Parent: parent, Version: a.version, CreatedAt: a.CreatedAt, Data: data}, nil
}
