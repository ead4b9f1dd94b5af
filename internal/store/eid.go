package store

import (
	"context"
	"time"
)

// EID keeps the citizens' electronic identification (package eid): accounts,
// their browser sessions, the events of each account the citizen is shown,
// and short-lived state (one-time codes, sign-ins half done, failure
// counters for the lock-out) that every process sharing the database must
// see. Package eid owns the format of every Data field.
type EID interface {
	// CreateEIDAccount adds an account; a.Version must be 1. ErrExists if
	// the id is taken, or if a.PIN is not empty and another account has it.
	CreateEIDAccount(ctx context.Context, a EIDAccount) error
	// EIDAccount returns the account with id, or ErrNotFound.
	EIDAccount(ctx context.Context, id string) (EIDAccount, error)
	// EIDAccountByPIN returns the account of a person's PIN, or ErrNotFound.
	EIDAccountByPIN(ctx context.Context, pin string) (EIDAccount, error)
	// EIDAccountsByParent returns the accounts whose Parent is parent (the
	// organisations a person represents), ordered by ID.
	EIDAccountsByParent(ctx context.Context, parent string) ([]EIDAccount, error)
	// PutEIDAccount replaces an account: a.Version must be the current
	// version + 1 (ErrConflict otherwise, ErrNotFound if there is none). The
	// PIN, Kind and CreatedAt of an account never change and are not written.
	PutEIDAccount(ctx context.Context, a EIDAccount) error

	// CreateEIDSession adds a session. ErrExists if its id is taken.
	CreateEIDSession(ctx context.Context, s EIDSession) error
	// EIDSession returns a session by id, revoked or expired ones included
	// (the caller judges), or ErrNotFound.
	EIDSession(ctx context.Context, id string) (EIDSession, error)
	// EIDSessions returns an account's sessions that are neither revoked
	// nor expired at now, the most recently started first.
	EIDSessions(ctx context.Context, accountID string, now time.Time) ([]EIDSession, error)
	// TouchEIDSession records that a session was used at at (LastSeen moves
	// forward only). ErrNotFound if there is no such session.
	TouchEIDSession(ctx context.Context, id string, at time.Time) error
	// RevokeEIDSessions revokes, at at, the account's sessions that are not
	// revoked yet: the one with id, or every one when id is "". It returns
	// how many it revoked; a session of another account is never touched.
	RevokeEIDSessions(ctx context.Context, accountID, id string, at time.Time) (int, error)

	// AppendEIDEvent records an event of an account; the store assigns Seq.
	AppendEIDEvent(ctx context.Context, e EIDEvent) error
	// EIDEvents returns up to limit events of an account with Seq < before
	// (0: from the newest), newest first.
	EIDEvents(ctx context.Context, accountID string, before int64, limit int) ([]EIDEvent, error)

	// EIDTransient returns the live record of a kind and id, or ErrNotFound
	// (also once it has expired).
	EIDTransient(ctx context.Context, kind, id string) (EIDTransient, error)
	// PutEIDTransient creates (Version 1; ErrExists if a live record has the
	// kind and id; an expired one is replaced) or replaces (Version = current
	// + 1 of the live record; ErrConflict otherwise) a short-lived record.
	// Expired records are purged a few at a time by these writes.
	PutEIDTransient(ctx context.Context, r EIDTransient) error
}

// EIDAccount is an electronic identification account: a person's (Kind
// "citizen", PIN set) or an organisation's (Kind "organisation", Parent the
// account of its legal representative).
type EIDAccount struct {
	ID        string
	Kind      string
	PIN       string // "" for an organisation
	Parent    string
	Version   int64
	CreatedAt time.Time
	Data      []byte
}

// EIDSession is a signed-in browser. ID is derived from the secret the
// browser holds (a hash of it), so the table alone signs no one in.
type EIDSession struct {
	ID        string
	AccountID string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero while the session is live
	Data      []byte
}

// EIDEvent is one event of an account: created, level raised, password
// changed, a new device, a failed sign-in.
type EIDEvent struct {
	Seq       int64
	AccountID string
	At        time.Time
	Type      string
	Data      []byte
}

// EIDTransient is a short-lived record: a one-time code, a sign-in waiting
// for its second factor, a failure counter. It reads as missing once
// Expires has passed.
type EIDTransient struct {
	Kind    string
	ID      string
	Version int64
	Expires time.Time
	Data    []byte
}
