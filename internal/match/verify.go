package match

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// The strategies of demographic verification.
const (
	Exact   = "exact"
	Partial = "partial"
)

// Defaults of demographic verification.
const (
	// DefaultPartialDailyLimit is how many partial-match verifications an
	// agency may make per day (UTC) when neither its grant nor the server
	// says otherwise.
	DefaultPartialDailyLimit = 10000
)

// Store is what demographic verification keeps in the store: the batched
// record read, the quota counters, and the key of the stand-in persons.
type Store interface {
	VerifyRows(ctx context.Context, pins []string, withData bool) ([]store.VerifyRow, error)
	TakeQuota(ctx context.Context, key string, n, limit int) (granted int, err error)
	SetSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}

// Grants reads an agency's grant for a purpose (exchange.Service does);
// store.ErrNotFound when it holds none.
type Grants interface {
	Grant(ctx context.Context, agency, purpose string) (*exchange.Grant, error)
}

// Scorer is the similarity of the "partial" strategy: for a claim and a
// record, the overall similarity (0–100) and each claimed attribute's.
// Package compare provides it; a nil Scorer leaves partial unavailable.
type Scorer interface {
	Score(c *Claim, r *Record) (overall int, attrs map[string]int)
	// DefaultMatchValue is the match value used when a request names none:
	// the one at which the test bed gives at least 99.9% precision.
	DefaultMatchValue() int
}

// Options configure a Service.
type Options struct {
	// PartialDailyLimit is the daily partial-match quota of an agency whose
	// grant sets none; 0 means DefaultPartialDailyLimit.
	PartialDailyLimit int
	Scorer            Scorer
	Logger            *slog.Logger
	Now               func() time.Time
}

// Service answers demographic verification requests.
type Service struct {
	st     Store
	grants Grants
	rec    audit.Recorder
	opts   Options
	log    *slog.Logger
	key    []byte // keys the stand-in persons of unknown PINs
	quota  quotaBlocks
}

// quotaBlocks hands out partial-match quota from blocks reserved in the
// store, so that a request costs a store write only once per block: a
// hundredth of the daily limit (at most 100 units, at least 1). Units a
// process reserved and did not use before it stopped are lost to the
// agency for the day, which errs on the side of the limit.
type quotaBlocks struct {
	mu   sync.Mutex
	day  string
	left map[string]int
}

func (q *quotaBlocks) take(ctx context.Context, st Store, key, day string, limit int) (bool, error) {
	q.mu.Lock()
	if q.day != day || q.left == nil {
		q.day, q.left = day, map[string]int{} // yesterday's blocks are void
	}
	if q.left[key] > 0 {
		q.left[key]--
		q.mu.Unlock()
		return true, nil
	}
	q.mu.Unlock()
	block := max(1, min(limit/100, 100))
	granted, err := st.TakeQuota(ctx, key, block, limit)
	if err != nil || granted == 0 {
		return false, err
	}
	q.mu.Lock()
	if q.day == day {
		q.left[key] += granted - 1
	}
	q.mu.Unlock()
	return true, nil
}

// decoyKeySetting names the setting that holds the stand-in key, shared by
// every process on the store so that they all answer alike.
const decoyKeySetting = "match.decoy_key"

// NewService returns a Service. It reads (or creates) the key of the
// stand-in persons.
func NewService(ctx context.Context, st Store, grants Grants, rec audit.Recorder, opts Options) (*Service, error) {
	if opts.PartialDailyLimit <= 0 {
		opts.PartialDailyLimit = DefaultPartialDailyLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var k [32]byte
	_, _ = rand.Read(k[:])
	v, err := st.SetSettingIfAbsent(ctx, decoyKeySetting, hex.EncodeToString(k[:]))
	if err != nil {
		return nil, fmt.Errorf("match: stand-in key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) != 32 {
		return nil, errors.New("match: stand-in key: the stored setting is not 32 hex bytes")
	}
	return &Service{st: st, grants: grants, rec: rec, opts: opts, log: log, key: key}, nil
}

// Request is one demographic verification.
type Request struct {
	Agency, Client   string // the caller, from its access token
	Purpose, CaseRef string
	RequestID        string
	PIN              string
	Claim            Claim
	Strategy         string // "" means exact
	MatchValue       int    // partial only; 0 means the default
}

// Answer is the outcome: match or no match per claimed attribute and
// overall, and the person's status when it may be released. It never holds
// a registry value.
type Answer struct {
	Match      bool
	Attributes map[string]bool
	Status     registry.LifeState // "" when not released
	Strategy   string
	MatchValue int // partial only
	// NotFound is set only for agencies that may read people by PIN anyway.
	NotFound bool
}

// Denial is a refusal of a request, with the HTTP status it maps to and a
// message that names the rule, never a value.
type Denial struct {
	Status int
	Msg    string
}

func (d *Denial) Error() string { return d.Msg }

func deny(status int, format string, args ...any) *Denial {
	return &Denial{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// ErrUnavailable is returned when the access log cannot record the call:
// nothing is answered that is not on the record.
var ErrUnavailable = errors.New("match: the access could not be recorded")

// allowed reports whether g allows strategy.
func allowed(g *exchange.Grant, strategy string) bool {
	if !g.DemographicCheck {
		return false
	}
	if len(g.MatchStrategies) == 0 {
		return strategy == Exact
	}
	return slices.Contains(g.MatchStrategies, strategy)
}

// Verify answers a request. The access is recorded before the answer is
// returned, whatever the answer.
func (s *Service) Verify(ctx context.Context, req Request) (Answer, error) {
	if req.Agency == "" {
		return Answer{}, deny(403, "Only agencies' API clients may verify attributes.")
	}
	if req.Purpose == "" {
		return Answer{}, deny(400, "A purpose is required: the purpose parameter or the X-Purpose header.")
	}
	if req.Strategy == "" {
		req.Strategy = Exact
	}
	if req.Strategy != Exact && req.Strategy != Partial {
		return Answer{}, deny(400, "strategy must be exact or partial.")
	}
	claimed := req.Claim.Claimed()
	if len(claimed) == 0 {
		return Answer{}, deny(400, "Submit at least one of full_name, birth_date, sex, address and phone.")
	}
	if _, err := pin.Parse(req.PIN); err != nil {
		return Answer{}, deny(400, "pin: not a valid personal identification number.")
	}
	g, err := s.grants.Grant(ctx, req.Agency, req.Purpose)
	if errors.Is(err, store.ErrNotFound) {
		return Answer{}, deny(403, "The agency holds no grant for this purpose.")
	}
	if err != nil {
		return Answer{}, err
	}
	if !allowed(g, req.Strategy) {
		return Answer{}, deny(403, "The agency's grant for this purpose does not allow %s verification.", req.Strategy)
	}
	ans := Answer{Strategy: req.Strategy}
	if req.Strategy == Partial {
		if s.opts.Scorer == nil {
			return Answer{}, deny(501, "Partial matching is not available on this server.")
		}
		if req.MatchValue == 0 {
			req.MatchValue = s.opts.Scorer.DefaultMatchValue()
		}
		if req.MatchValue < 1 || req.MatchValue > 100 {
			return Answer{}, deny(400, "match_value must be from 1 to 100.")
		}
		ans.MatchValue = req.MatchValue
		limit := g.PartialDailyLimit
		if limit <= 0 {
			limit = s.opts.PartialDailyLimit
		}
		day := s.opts.Now().UTC().Format(time.DateOnly)
		if ok, err := s.quota.take(ctx, s.st, req.Agency+"/partial/"+day, day, limit); err != nil {
			return Answer{}, err
		} else if !ok {
			return Answer{}, deny(429, "The agency's daily quota of %d partial-match verifications is used up.", limit)
		}
	}

	rows, err := s.st.VerifyRows(ctx, []string{req.PIN}, req.Claim.needsDocument() || req.Strategy == Partial)
	if err != nil {
		return Answer{}, err
	}
	// An agency that reads people by PIN learns whether one exists anyway;
	// any other gets the same kind of answer for every PIN.
	reads := len(g.Fields) > 0
	var rec Record
	found := len(rows) == 1
	switch {
	case found:
		if rec, err = recordOf(rows[0]); err != nil {
			return Answer{}, fmt.Errorf("match: person record: %w", err)
		}
	case reads:
		ans.NotFound = true
	default:
		rec = s.standIn(req.PIN)
	}

	if !ans.NotFound {
		if req.Strategy == Exact {
			ans.Attributes = compareExact(&req.Claim, &rec)
			ans.Match = true
			for _, a := range claimed {
				ans.Match = ans.Match && ans.Attributes[a]
			}
		} else {
			overall, attrs := s.opts.Scorer.Score(&req.Claim, &rec)
			ans.Match = overall >= req.MatchValue
			ans.Attributes = make(map[string]bool, len(claimed))
			for _, a := range claimed {
				ans.Attributes[a] = attrs[a] >= req.MatchValue
			}
		}
		if reads || ans.Match {
			ans.Status = rec.State
		}
	}

	action := "verify"
	if req.Strategy == Partial {
		action = "verify-partial"
	}
	acc := audit.Access{ActorKind: "client", Actor: req.Client, Agency: req.Agency, Purpose: req.Purpose,
		CaseRef: req.CaseRef, PIN: req.PIN, Fields: append([]string{"status"}, claimed...), Action: action,
		RequestID: req.RequestID}
	if s.rec == nil {
		return Answer{}, ErrUnavailable
	}
	if err := s.rec.Record(ctx, acc); err != nil {
		s.log.ErrorContext(ctx, "match: access log refused a record", "request_id", req.RequestID, "error", err)
		return Answer{}, ErrUnavailable
	}
	return ans, nil
}

// standIn is the person verification answers for a PIN no one holds: the
// sex and year of birth the PIN encodes, a day and month of birth from a
// keyed hash of the PIN, alive, and no name, address, phone or document
// (which therefore never match). The same PIN always gives the same
// stand-in, so probing it shows nothing a real person would not.
func (s *Service) standIn(p string) Record {
	n, _ := pin.Parse(p)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(p))
	h := binary.BigEndian.Uint64(m.Sum(nil))
	r := Record{PIN: p, State: registry.Alive, full: true}
	r.BirthDate = registry.Date{Year: n.BirthYear(), Month: int(h%12) + 1, Day: int(h/12%28) + 1}
	r.Sex = registry.Male
	if n.Sex() == pin.Female {
		r.Sex = registry.Female
	}
	return r
}
