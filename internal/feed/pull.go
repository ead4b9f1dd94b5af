package feed

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/store"
)

// Pull-feed limits.
const (
	DefaultFeedLimit = 100
	MaxFeedLimit     = 1000
	// scanFactor bounds the outbox rows one request reads to this many
	// times the limit, so that an agency whose grant matches few events
	// still gets an answer (possibly empty, with a cursor further on)
	// in bounded time.
	scanFactor = 20
)

// cursorKeySetting names the Settings entry holding the cursor-signing key.
const cursorKeySetting = "feed.cursor_key"

// ErrBadCursor is returned for a cursor that is malformed, forged or issued
// to another agency or purpose.
var ErrBadCursor = errors.New("feed: invalid cursor")

// loadCursorKey returns the key that signs cursors, creating it once for
// every process that shares the store.
func loadCursorKey(ctx context.Context, st store.Settings) ([]byte, error) {
	b := make([]byte, 32)
	rand.Read(b)
	v, err := st.SetSettingIfAbsent(ctx, cursorKeySetting, hex.EncodeToString(b))
	if err != nil {
		return nil, fmt.Errorf("feed: cursor key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, errors.New("feed: cursor key: stored key is not a hex key")
	}
	return key, nil
}

// cursorMAC binds a position to an agency and a purpose.
func (s *Service) cursorMAC(agency, purpose string, seq int64) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	fmt.Fprintf(m, "dancu feed cursor v1\x00%s\x00%s\x00%d", agency, purpose, seq)
	return m.Sum(nil)[:16]
}

// encodeCursor returns the opaque cursor of a position: the seq and a MAC
// over it, the agency and the purpose, in base64url.
func (s *Service) encodeCursor(agency, purpose string, seq int64) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(seq))
	b = append(b, s.cursorMAC(agency, purpose, seq)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the position of a cursor issued to this agency and
// purpose, 0 for the empty cursor (the start), or ErrBadCursor.
func (s *Service) decodeCursor(agency, purpose, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) != 24 {
		return 0, ErrBadCursor
	}
	seq := int64(binary.BigEndian.Uint64(b[:8]))
	if seq < 0 || !hmac.Equal(b[8:], s.cursorMAC(agency, purpose, seq)) {
		return 0, ErrBadCursor
	}
	return seq, nil
}

// Page is one answer of the pull feed.
type Page struct {
	Events []Event `json:"events" doc:"In outbox order, which is each person's order."`
	// Next is the cursor to pass as after to continue; it is bound to the
	// agency and purpose.
	Next string `json:"next" doc:"Pass as after to continue. Opaque, bound to the agency and purpose."`
	// More is true when the outbox holds rows past Next already.
	More bool `json:"more"`
}

// ErrNoGrant is returned when the agency holds no active grant for the
// purpose, or is disabled.
var ErrNoGrant = errors.New("feed: no grant for the purpose")

// Read answers the pull feed for a client: up to limit events after the
// cursor that the agency's grant for purpose releases, filtered to its
// fields. Every person released is recorded in the access log before Read
// returns.
func (s *Service) Read(ctx context.Context, p auth.Principal, purpose, after string, limit int, requestID string) (*Page, error) {
	if p.Kind != auth.KindClient || p.Agency == "" {
		return nil, ErrNoGrant
	}
	// The cursor is checked before anything else is looked up, so that a
	// forged one learns nothing, not even whether a grant exists.
	seq, err := s.decodeCursor(p.Agency, purpose, after)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultFeedLimit
	}
	limit = min(limit, MaxFeedLimit)
	a, err := s.ex.Agency(ctx, p.Agency)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if a == nil || a.Status != "active" {
		return nil, ErrNoGrant
	}
	grants, err := s.ex.Grants(ctx, p.Agency)
	if err != nil {
		return nil, err
	}
	pol := newPolicy(grants, p.Agency, purpose, nil)
	if pol == nil {
		return nil, ErrNoGrant
	}
	page := &Page{Events: []Event{}}
	var pins []string
	scanned, budget := seq, limit*scanFactor
	for len(page.Events) < limit && budget > 0 {
		rows, err := s.st.Outbox(ctx, scanned, min(budget, 1000))
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			break
		}
		budget -= len(rows)
		for i := range rows {
			row := &rows[i]
			scanned = row.Seq
			if !pol.allows(row) {
				continue
			}
			ev, err := pol.event(row)
			if err != nil {
				return nil, err
			}
			page.Events = append(page.Events, ev)
			pins = append(pins, row.PIN)
			if len(page.Events) == limit {
				break
			}
		}
	}
	if len(page.Events) > 0 {
		as := make([]audit.Access, len(page.Events))
		for i := range page.Events {
			as[i] = audit.Access{
				ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: purpose,
				PIN: pins[i], Fields: pol.access, Action: "feed", RequestID: requestID,
			}
		}
		if s.rec == nil {
			return nil, errors.New("feed: no access log: nothing is released")
		}
		if err := s.rec.Record(ctx, as...); err != nil {
			return nil, fmt.Errorf("feed: access log: %w", err)
		}
	}
	more, err := s.st.Outbox(ctx, scanned, 1)
	if err != nil {
		return nil, err
	}
	page.More = len(more) > 0
	page.Next = s.encodeCursor(p.Agency, purpose, scanned)
	return page, nil
}
