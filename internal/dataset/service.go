package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// kindDataset is the Directory kind of dataset documents.
const kindDataset = "dataset"

// namePattern is the form of dataset names: the same as the exchange's ids,
// since grants list datasets by name.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ErrInvalid wraps every validation failure of a dataset registration.
var ErrInvalid = errors.New("dataset: invalid")

// ErrForbidden means the caller may not do what it asked with the dataset.
var ErrForbidden = errors.New("dataset: forbidden")

// Dataset is a registered linked dataset.
type Dataset struct {
	Name      string    `json:"name" doc:"Short stable name, such as vss-social-insurance; grants list datasets by it."`
	Kind      string    `json:"kind" doc:"The kind, which fixes the record schema."`
	Agency    string    `json:"agency" doc:"The owning agency: only its clients write the dataset."`
	CreatedAt time.Time `json:"created_at"`
}

// Store is what the datasets keep: their registrations in the Directory and
// their records.
type Store interface {
	store.Directory
	store.Datasets
}

// Exchange is the part of the exchange that decides who may read: the
// agencies and their purpose-bound grants. *exchange.Service provides it.
type Exchange interface {
	Agency(ctx context.Context, id string) (*exchange.Agency, error)
	Grants(ctx context.Context, agency string) ([]exchange.Grant, error)
}

// Service registers datasets, takes agencies' uploads and answers reads.
// It is safe for concurrent use and keeps no state of its own.
type Service struct {
	st  Store
	ex  Exchange
	rec audit.Recorder
	log *slog.Logger
}

// New returns the service. rec may be nil where nothing is read (the CLI's
// uploads); reads then fail closed.
func New(st Store, ex Exchange, rec audit.Recorder, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, ex: ex, rec: rec, log: log}
}

// Register records a new dataset. The agency must exist.
func (s *Service) Register(ctx context.Context, d Dataset) (*Dataset, error) {
	var errs []error
	if !namePattern.MatchString(d.Name) {
		errs = append(errs, fmt.Errorf("%w: name must be 1-63 lower-case letters, digits, '.', '_' or '-'", ErrInvalid))
	}
	if LookupKind(d.Kind) == nil {
		errs = append(errs, fmt.Errorf("%w: kind must be one of %v", ErrInvalid, KindNames()))
	}
	if d.Agency == "" {
		errs = append(errs, fmt.Errorf("%w: agency is required", ErrInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if _, err := s.ex.Agency(ctx, d.Agency); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: agency %q does not exist", ErrInvalid, d.Agency)
		}
		return nil, err
	}
	d.CreatedAt = time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(&d)
	if err != nil {
		return nil, err
	}
	if err := s.st.PutDirRecord(ctx, store.DirRecord{Kind: kindDataset, ID: d.Name, Parent: d.Agency, Version: 1, Data: b}); err != nil {
		return nil, err
	}
	return &d, nil
}

// Dataset returns a registered dataset, or an error wrapping
// store.ErrNotFound.
func (s *Service) Dataset(ctx context.Context, name string) (*Dataset, error) {
	r, err := s.st.DirRecord(ctx, kindDataset, name)
	if err != nil {
		return nil, err
	}
	var d Dataset
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return nil, fmt.Errorf("dataset: stored registration: %w", err)
	}
	return &d, nil
}

// ByKind returns the registered datasets of a kind, by name (the health
// book gathers its records from every dataset of its kinds).
func (s *Service) ByKind(ctx context.Context, kind string) ([]Dataset, error) {
	rs, err := s.st.DirRecords(ctx, kindDataset, "")
	if err != nil {
		return nil, err
	}
	var out []Dataset
	for _, r := range rs {
		var d Dataset
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return nil, fmt.Errorf("dataset: stored registration: %w", err)
		}
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out, nil
}

// Coverage is a dataset with how far it reaches into the living population.
type Coverage struct {
	Dataset
	Records      int64 `json:"records" doc:"Records held."`
	LinkedLiving int64 `json:"linked_living" doc:"Distinct living people with at least one record."`
	// LivingShare is LinkedLiving over the living population, 0 to 1.
	LivingShare float64 `json:"living_share" doc:"Share of the living population linked, 0 to 1."`
}

// Datasets lists the registered datasets by name with their coverage, and
// the living population.
func (s *Service) Datasets(ctx context.Context) ([]Coverage, int64, error) {
	rs, err := s.st.DirRecords(ctx, kindDataset, "")
	if err != nil {
		return nil, 0, err
	}
	cov, living, err := s.st.DatasetCoverage(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Coverage, 0, len(rs))
	for _, r := range rs {
		var c Coverage
		if err := json.Unmarshal(r.Data, &c.Dataset); err != nil {
			return nil, 0, fmt.Errorf("dataset: stored registration: %w", err)
		}
		if i := slices.IndexFunc(cov, func(x store.DatasetCoverage) bool { return x.Dataset == c.Name }); i >= 0 {
			c.Records, c.LinkedLiving = cov[i].Records, cov[i].LinkedLiving
		}
		if living > 0 {
			c.LivingShare = float64(c.LinkedLiving) / float64(living)
		}
		out = append(out, c)
	}
	return out, living, nil
}

// hashRecord is the content hash an upsert compares: the PIN and the
// canonical attributes, each length-prefixed so that no two records collide
// by moving bytes from one to the other.
func hashRecord(pin string, data []byte) []byte {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{[]byte(pin), data} {
		l := len(part)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(part)
	}
	return h.Sum(nil)
}

// CanWrite reports whether agency may write the dataset: only its owner.
func CanWrite(d *Dataset, agency string) bool { return agency != "" && agency == d.Agency }
