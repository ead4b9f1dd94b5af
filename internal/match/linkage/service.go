package linkage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Store is what the linkage service needs of the store: the registry's
// current records, the review queue and a setting for the model.
type Store interface {
	SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.PersonRow, error)
	CountPersons(ctx context.Context) (int64, error)
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
	store.Duplicates
}

// Sources of candidate pairs in the review queue.
const (
	SourceBatch        = "batch"
	SourceRegistration = "registration"
)

// modelSetting is the settings key under which a batch saves the model it
// estimated, for Candidates to use.
const modelSetting = "linkage.model"

// Service runs duplicate detection against the store: the batch over the
// whole registry and the check of one record.
type Service struct {
	st  Store
	now func() time.Time
}

// NewService returns a Service over st.
func NewService(st Store) *Service { return &Service{st: st, now: time.Now} }

// readPage is the number of records read per query in a batch.
const readPage = 5000

// LoadRecords reads every current person from the store, in PIN order, as
// linkage records, calling progress (if set) with the number read and the
// total. Only the match forms are kept, not the records.
func (s *Service) LoadRecords(ctx context.Context, progress func(done, total int64)) ([]Record, error) {
	total, err := s.st.CountPersons(ctx)
	if err != nil {
		return nil, fmt.Errorf("linkage: count people: %w", err)
	}
	recs := make([]Record, 0, total)
	after := ""
	for {
		rows, err := s.st.SearchPersons(ctx, store.PersonQuery{AfterPIN: after, Limit: readPage})
		if err != nil {
			return nil, fmt.Errorf("linkage: read people: %w", err)
		}
		// Decoding and preparing a page takes longer than reading it:
		// spread it over the cores.
		start := len(recs)
		recs = append(recs, make([]Record, len(rows))...)
		var decodeErr atomic.Bool
		parallel(len(rows), runtime.GOMAXPROCS(0), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				var p registry.Person
				if err := json.Unmarshal(rows[i].Data, &p); err != nil {
					decodeErr.Store(true)
					return
				}
				recs[start+i] = RecordOf(&p)
			}
		})
		if decodeErr.Load() {
			return nil, errors.New("linkage: decode a person record: not a registry record")
		}
		if progress != nil {
			progress(int64(len(recs)), total)
		}
		if len(rows) < readPage {
			return recs, nil
		}
		after = rows[len(rows)-1].PIN
	}
}

// BatchReport sums up a batch over the registry.
type BatchReport struct {
	Records  int
	Pairs    int // candidate pairs found
	Inserted int // of which new in the queue
	Read     time.Duration
	Stats    Stats
	Model    Model
	// Known is the number of pairs registrars merged whose levels m was
	// estimated from (MFromKnown); KnownSkipped were merged but their
	// evidence could not be read.
	Known, KnownSkipped int
}

// Batch runs duplicate detection over the whole registry — unless o.M
// says otherwise, with m estimated from the duplicates registrars merged in
// the review queue on top of ReferenceModel's (MFromKnown) and the share of
// duplicates fixed (DefaultPriorRate); u from the registry's own pairs —
// saves the
// estimated model for Candidates and writes the pairs found to the review
// queue (pairs a registrar already decided stay decided). With dryRun, it
// writes nothing. Several processes may run it at once without harm (the
// queue's writes are idempotent), but each reads the whole registry, so
// run one.
func (s *Service) Batch(ctx context.Context, o Options, dryRun bool, readProgress func(done, total int64)) (BatchReport, error) {
	t := time.Now()
	recs, err := s.LoadRecords(ctx, readProgress)
	if err != nil {
		return BatchReport{}, err
	}
	rep := BatchReport{Records: len(recs), Read: time.Since(t)}
	if o.M == nil {
		known, skipped, err := s.KnownDuplicates(ctx)
		if err != nil {
			return rep, err
		}
		m := MFromKnown(known, ReferenceModel().M, KnownPriorPairs)
		o.M = &m
		rep.Known, rep.KnownSkipped = len(known), skipped
		if o.PriorRate <= 0 {
			o.PriorRate = DefaultPriorRate
		}
	}
	res, err := Run(ctx, recs, o)
	if err != nil {
		return rep, err
	}
	rep.Stats, rep.Model, rep.Pairs = res.Stats, res.Model, len(res.Pairs)
	if dryRun {
		return rep, nil
	}
	b, err := json.Marshal(res.Model)
	if err != nil {
		return rep, err
	}
	if err := s.st.PutSetting(ctx, modelSetting, string(b)); err != nil {
		return rep, fmt.Errorf("linkage: save the model: %w", err)
	}
	now := s.now().UTC()
	batch := make([]store.DuplicateCandidate, 0, 1000)
	flush := func() error {
		n, err := s.st.PutDuplicateCandidates(ctx, batch)
		rep.Inserted += n
		batch = batch[:0]
		return err
	}
	for _, p := range res.Pairs {
		c, err := candidate(&res.Model, &recs[p.A], &recs[p.B], p.Vector, SourceBatch, now)
		if err != nil {
			return rep, err
		}
		batch = append(batch, c)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return rep, fmt.Errorf("linkage: write the queue: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return rep, fmt.Errorf("linkage: write the queue: %w", err)
	}
	return rep, nil
}

// candidate builds a queue entry for records a and b.
func candidate(m *Model, a, b *Record, v Vector, source string, at time.Time) (store.DuplicateCandidate, error) {
	w := m.Weight(v)
	ev, err := json.Marshal(m.Evidence(v))
	if err != nil {
		return store.DuplicateCandidate{}, err
	}
	pa, pb := a.PIN, b.PIN
	if pb < pa {
		pa, pb = pb, pa
	}
	return store.DuplicateCandidate{
		PINA: pa, PINB: pb, Weight: round2(w), Probability: m.Probability(w),
		Evidence: ev, Source: source, Status: store.DuplicateOpen, FoundAt: at,
	}, nil
}

// Model returns the model the registry's last batch estimated, or the
// reference model (estimated on the test bed) if no batch has run.
func (s *Service) Model(ctx context.Context) (Model, error) {
	v, err := s.st.Setting(ctx, modelSetting)
	if errors.Is(err, store.ErrNotFound) {
		return ReferenceModel(), nil
	}
	if err != nil {
		return Model{}, fmt.Errorf("linkage: read the model: %w", err)
	}
	var m Model
	if err := json.Unmarshal([]byte(v), &m); err != nil || m.Validate() != nil {
		return ReferenceModel(), nil
	}
	return m, nil
}

// Candidate is an existing record that may be the same person as a record
// checked with Candidates.
type Candidate struct {
	PIN         string          `json:"pin"`
	Weight      float64         `json:"weight"`
	Probability float64         `json:"probability"`
	Evidence    []FieldEvidence `json:"evidence"`
	// Residence is the permanent residence of the record found, for the
	// caller to decide who may see the candidate.
	Residence registry.UnitRef `json:"-"`
}

// MaxCandidates bounds the answer of Candidates.
const MaxCandidates = 20

// Candidates returns the existing records that may be the same person as
// p, best first, with their evidence: what a registrar checks before a
// birth or initial registration allocates a new PIN. p need not have a
// PIN; a record with p's PIN is never its own candidate. It reads the
// store with three searches that its indexes serve in bounded work (the
// same name in the same year; the same surname and given name in the same
// year; the same year and sex in the same commune of residence), compares
// each record found with the model of the last batch, and keeps those
// whose probability reaches minProbability (0 means 0.5). A fourth
// search reads the people of the same full date of birth and sex
// nationwide (a few hundred at 10,000,000 people), keeping only those whose
// given name agrees at least closely before anything else is decoded: a
// misspelt surname in another commune, which the name searches and the
// commune's cannot see. It still finds less than a batch does (a
// misspelt surname with a partial or mistyped date in another commune
// escapes it), and the batch over the registry finds the rest.
func (s *Service) Candidates(ctx context.Context, p *registry.Person, minProbability float64) ([]Candidate, error) {
	if minProbability <= 0 {
		minProbability = 0.5
	}
	m, err := s.Model(ctx)
	if err != nil {
		return nil, err
	}
	rec := RecordOf(p)
	var queries []store.PersonQuery
	if rec.Name.Key != "" {
		queries = append(queries, store.PersonQuery{NameKey: rec.Name.Key, BirthYear: rec.Birth.Year, Limit: 200})
		if rec.Name.Surname != "" && rec.Name.Given != "" && rec.Name.Middle != "" {
			// Without the middle name: the key of surname and given name
			// only matches records registered without one.
			queries = append(queries, store.PersonQuery{NameKey: rec.Name.Surname + " " + rec.Name.Given, BirthYear: rec.Birth.Year, Limit: 200})
		}
	}
	if rec.Commune != "" && rec.Birth.Year != 0 {
		// The same year and sex in the same commune of residence: a middle
		// name missing, a mistyped surname, another date in the year. The
		// commune's index bounds the work (a few thousand people), where a
		// search by surname alone or by date alone walks a third of the
		// country or the whole table.
		queries = append(queries, store.PersonQuery{Commune: rec.Commune, BirthYear: rec.Birth.Year, Sex: string(rec.Sex), Limit: 1000})
	}
	// The same full date and sex anywhere: the given name must agree at
	// least closely (checked on the row's name before its record is
	// decoded), so that only a surname or middle name may differ.
	byDate := -1
	if p.BirthDate.IsFull() && rec.Sex != "" && rec.Name.Given != "" {
		byDate = len(queries)
		queries = append(queries, store.PersonQuery{BirthDate: p.BirthDate.String(), Sex: string(rec.Sex), Limit: 5000})
	}
	seen := map[string]bool{rec.PIN: true}
	var out []Candidate
	for i, q := range queries {
		rows, err := s.st.SearchPersons(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("linkage: search candidates: %w", err)
		}
		for _, row := range rows {
			if seen[row.PIN] {
				continue
			}
			if i == byDate && !sameGiven(&rec, row.NameFold) {
				continue
			}
			seen[row.PIN] = true
			var q registry.Person
			if err := json.Unmarshal(row.Data, &q); err != nil {
				return nil, fmt.Errorf("linkage: decode a person record: %w", err)
			}
			other := RecordOf(&q)
			if other.MergedInto != "" || linked(&rec, &other) {
				continue
			}
			v := Compare(&rec, &other)
			if !Plausible(v) {
				continue
			}
			w := m.Weight(v)
			if pr := m.Probability(w); pr >= minProbability {
				out = append(out, Candidate{PIN: other.PIN, Weight: round2(w), Probability: pr, Evidence: m.Evidence(v),
					Residence: registry.UnitRef{Province: other.Province, Commune: other.Commune}})
			}
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if a.Weight != b.Weight {
			if a.Weight > b.Weight {
				return -1
			}
			return 1
		}
		if a.PIN < b.PIN {
			return -1
		}
		return 1
	})
	if len(out) > MaxCandidates {
		out = out[:MaxCandidates]
	}
	return out, nil
}

// possibleDuplicates presents candidates as the registry's screen does,
// with their evidence encoded.
func possibleDuplicates(cs []Candidate) ([]registry.PossibleDuplicate, error) {
	var out []registry.PossibleDuplicate
	for _, c := range cs {
		ev, err := json.Marshal(c.Evidence)
		if err != nil {
			return nil, err
		}
		out = append(out, registry.PossibleDuplicate{PIN: c.PIN, Weight: c.Weight, Probability: c.Probability, Evidence: ev, Residence: c.Residence})
	}
	return out, nil
}

// queue puts the pairs of pin and each record found in the review queue
// with source "registration".
func (s *Service) queue(ctx context.Context, pin string, found []registry.PossibleDuplicate) (int, error) {
	if len(found) == 0 {
		return 0, nil
	}
	now := s.now().UTC()
	batch := make([]store.DuplicateCandidate, 0, len(found))
	for _, c := range found {
		a, b := pin, c.PIN
		if b < a {
			a, b = b, a
		}
		batch = append(batch, store.DuplicateCandidate{PINA: a, PINB: b, Weight: c.Weight, Probability: c.Probability,
			Evidence: c.Evidence, Source: SourceRegistration, Status: store.DuplicateOpen, FoundAt: now})
	}
	if _, err := s.st.PutDuplicateCandidates(ctx, batch); err != nil {
		return 0, fmt.Errorf("linkage: write the queue: %w", err)
	}
	return len(batch), nil
}

// sameGiven reports whether the given name in a row's full name (its
// match form) agrees with rec's at least closely: the same name, or one
// typing error in a long one.
func sameGiven(rec *Record, nameFold string) bool {
	n := compare.ParseName(nameFold)
	return compare.Part(rec.Name.GivenFold, rec.Name.Given, n.GivenFold, n.Given) >= compare.Close
}
