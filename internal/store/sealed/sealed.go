package sealed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
)

// Store is a store.Store whose documents are sealed at rest. Methods that
// carry no document go straight to the backend.
type Store struct {
	store.Store
	kr *seal.Keyring
	// strict refuses documents stored in clear (see Strict).
	strict bool
	// retireGrace is how long a data key must have been superseded
	// before RetireDataKey deletes it.
	retireGrace time.Duration
	// clear tracks dataset record keys still in clear (datasetkeys.go).
	clear clearKeys
}

var _ store.Store = (*Store)(nil)

// Option changes how a Store treats its documents.
type Option func(*Store)

// Strict makes every read of a document stored in clear fail with
// ErrClear, instead of passing it on as it is: for a store whose documents
// have all been sealed (by Reseal), so that a document someone put in
// clear behind the store's back is noticed rather than served.
func Strict(on bool) Option { return func(s *Store) { s.strict = on } }

// RetireGrace sets how long a newer data key must have existed before
// RetireDataKey deletes an older one: a process learns of a new data key
// within seal.RefreshEvery, and until then seals with the one before. The
// default is twice that; a test that has no other process sets 0.
func RetireGrace(d time.Duration) Option { return func(s *Store) { s.retireGrace = d } }

// ErrClear is returned in strict mode for a document stored in clear.
var ErrClear = errors.New("a document is stored in clear, and encryption.strict refuses it (run dancu keys reseal)")

// New wraps backend so that its documents are sealed under kr's keys.
func New(backend store.Store, kr *seal.Keyring, opts ...Option) *Store {
	s := &Store{Store: backend, kr: kr, retireGrace: 2 * seal.RefreshEvery}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Backend returns the wrapped store, for what only a backend offers (a
// SQLite snapshot).
func (s *Store) Backend() store.Store { return s.Store }

// Keyring returns the keys the store seals with.
func (s *Store) Keyring() *seal.Keyring { return s.kr }

// Names of the places documents are bound to. They are the tables the
// documents live in; changing one makes every document sealed under it
// unreadable.
const (
	tPerson     = "person_versions"
	tHousehold  = "household_versions"
	tEventReq   = "events.request"
	tEventRes   = "events.result"
	tOutbox     = "outbox"
	tDataset    = "dataset_records"
	tCard       = "cards"
	tDossier    = "dossiers"
	tAttachment = "dossier_attachments"
	tEIDAccount = "eid_accounts"
	tEIDSession = "eid_sessions"
	tEIDEvent   = "eid_events"
	tEIDTrans   = "eid_transient"
	tOIDCReq    = "oidc_auth_requests"
	tOIDCToken  = "oidc_tokens"
	tOIDCKey    = "oidc_keys"
	// iDatasetHash is the blind-index domain of the datasets' content hashes.
	iDatasetHash = "dataset_records.hash"
)

// aad names a document's place: its table and its row's key parts. Parts
// are length-prefixed so that no two different keys give the same bytes.
func aad(table string, key ...string) []byte {
	var b strings.Builder
	b.WriteString(table)
	for _, k := range key {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
	}
	return []byte(b.String())
}

// seal seals one document, naming its table (never its content) on error.
func (s *Store) seal(ctx context.Context, doc []byte, table string, key ...string) ([]byte, error) {
	out, err := s.kr.Seal(ctx, doc, aad(table, key...))
	if err != nil {
		return nil, fmt.Errorf("sealed: %s: %w", table, err)
	}
	return out, nil
}

// open opens one document. The error names the table, never the row: its
// key may be a PIN.
func (s *Store) open(ctx context.Context, doc []byte, table string, key ...string) ([]byte, error) {
	if s.strict && len(doc) > 0 && !seal.IsSealed(doc) {
		return nil, fmt.Errorf("sealed: %s: %w", table, ErrClear)
	}
	out, err := s.kr.Open(ctx, doc, aad(table, key...))
	if err != nil {
		return nil, fmt.Errorf("sealed: %s: %w", table, err)
	}
	return out, nil
}

// openAll opens the document of each of rows in place, with the table and
// key parts doc names; it stops at the first failure.
func openAll[T any](ctx context.Context, s *Store, rows []T, err error, doc func(*T) (*[]byte, string, []string)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	for i := range rows {
		p, table, key := doc(&rows[i])
		if *p, err = s.open(ctx, *p, table, key...); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// openOne opens the document of one row.
func openOne[T any](ctx context.Context, s *Store, row T, err error, doc func(*T) (*[]byte, string, []string)) (T, error) {
	if err != nil {
		return row, err
	}
	p, table, key := doc(&row)
	if *p, err = s.open(ctx, *p, table, key...); err != nil {
		var zero T
		return zero, err
	}
	return row, nil
}

// Open wraps backend so that its documents are sealed under its data keys,
// unwrapped with p (creating the first keys in a store that has none).
func Open(ctx context.Context, backend store.Store, p seal.Provider, opts ...Option) (*Store, error) {
	kr, err := seal.NewKeyring(ctx, p, backend)
	if err != nil {
		return nil, err
	}
	return New(backend, kr, opts...), nil
}
