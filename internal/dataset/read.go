package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// ErrNoPurpose means a client's read named no purpose.
var ErrNoPurpose = errors.New("dataset: a purpose is required")

// ErrUnavailable means the access log could not record a read, so nothing
// was released.
var ErrUnavailable = errors.New("dataset: the access could not be recorded")

// Record is one dataset record as released.
type Record struct {
	Key        string          `json:"key"`
	Source     string          `json:"source" doc:"The agency that wrote the record."`
	Version    int64           `json:"version" doc:"1 when first written, +1 for each change of content."`
	UpdatedAt  time.Time       `json:"updated_at"`
	Attributes json.RawMessage `json:"attributes"`
}

// PutResult is what a single upsert did.
type PutResult struct {
	Key     string `json:"key"`
	Outcome string `json:"outcome" enum:"inserted,updated,unchanged"`
}

// Put writes one record into d as agency source (the caller has checked
// CanWrite). A malformed record or an unknown PIN is a *LineError.
func (s *Service) Put(ctx context.Context, d *Dataset, source, key, pin string, attrs json.RawMessage) (PutResult, error) {
	k := LookupKind(d.Kind)
	if k == nil {
		return PutResult{}, fmt.Errorf("dataset: %s has unknown kind %q", d.Name, d.Kind)
	}
	if !keyPattern.MatchString(key) {
		return PutResult{}, lineErr("key", "must be 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
	}
	if e := CheckPIN(pin); e != nil {
		return PutResult{}, e
	}
	data, e := k.Canonical(attrs)
	if e != nil {
		return PutResult{}, e
	}
	found, err := s.st.ExistingPINs(ctx, []string{pin})
	if err != nil {
		return PutResult{}, err
	}
	if len(found) == 0 {
		return PutResult{}, lineErr("pin", reasonNotInRegistry)
	}
	// The entry is durable before the write, as in Upload.
	if err := s.recordWrites(ctx, d, []string{pin}); err != nil {
		return PutResult{}, err
	}
	c, err := s.st.UpsertDatasetRecords(ctx, []store.DatasetRecord{{Dataset: d.Name, Key: key, PIN: pin, Source: source,
		Hash: hashRecord(pin, data), Data: data}})
	if err != nil {
		return PutResult{}, err
	}
	out := PutResult{Key: key, Outcome: "unchanged"}
	switch {
	case c.Inserted == 1:
		out.Outcome = "inserted"
	case c.Updated == 1:
		out.Outcome = "updated"
	}
	return out, nil
}

// MayRead decides whether p may read dataset d's records about people for
// purpose. The administrator may; a client may when its agency owns the
// dataset, or when its agency's active grant for exactly this purpose lists
// the dataset (exchange.Evaluate decides which grant applies). Everyone else
// is denied. A client must name a purpose even to read its own dataset, so
// that the access log says why.
func (s *Service) MayRead(ctx context.Context, p auth.Principal, d *Dataset, purpose string) error {
	if p.Kind == auth.Admin.Kind && p.ID == auth.Admin.ID {
		return nil
	}
	if p.Kind != auth.KindClient || p.Agency == "" {
		return ErrForbidden
	}
	if purpose == "" {
		return ErrNoPurpose
	}
	if p.Agency == d.Agency {
		return nil
	}
	grants, err := s.ex.Grants(ctx, p.Agency)
	if err != nil {
		return err
	}
	dec := exchange.Evaluate(grants, exchange.Request{Agency: p.Agency, Purpose: purpose})
	if !dec.Allow || dec.Grant == nil || !slices.Contains(dec.Grant.Datasets, d.Name) {
		return ErrForbidden
	}
	return nil
}

// Read returns dataset d's records about the person with pin, after MayRead
// allowed it, and records the access before returning anything. The
// records are returned even when there are none: that there are none is
// itself information about the person, so it is recorded too.
func (s *Service) Read(ctx context.Context, p auth.Principal, d *Dataset, pin, purpose, caseRef, requestID string) ([]Record, error) {
	if e := CheckPIN(pin); e != nil {
		return nil, e
	}
	rs, err := s.st.DatasetRecordsByPIN(ctx, d.Name, pin)
	if err != nil {
		return nil, err
	}
	if s.rec == nil {
		return nil, ErrUnavailable
	}
	a := audit.Access{ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: purpose, CaseRef: caseRef,
		PIN: pin, Fields: []string{"dataset:" + d.Name}, Action: "read", RequestID: requestID}
	if err := s.rec.Record(ctx, a); err != nil {
		s.log.ErrorContext(ctx, "dataset: access log refused a record", "request_id", requestID, "error", err)
		return nil, ErrUnavailable
	}
	out := make([]Record, len(rs))
	for i, r := range rs {
		out[i] = Record{Key: r.Key, Source: r.Source, Version: r.Version, UpdatedAt: r.UpdatedAt, Attributes: r.Data}
	}
	return out, nil
}

// recordWrites records that the caller linked dataset d's records to these
// people. The records are already committed, so a failure answers 503 but
// cannot undo them; a retry of the same upload changes nothing and is
// recorded then. Without a recorder (a service that only reads metadata)
// nothing is recorded.
func (s *Service) recordWrites(ctx context.Context, d *Dataset, pins []string) error {
	if s.rec == nil || len(pins) == 0 {
		return nil
	}
	p, _ := auth.FromContext(ctx)
	as := make([]audit.Access, len(pins))
	for i, pin := range pins {
		as[i] = audit.Access{ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: "dataset.sync",
			PIN: pin, Fields: []string{"dataset:" + d.Name}, Action: "write"}
	}
	if err := s.rec.Record(ctx, as...); err != nil {
		s.log.ErrorContext(ctx, "dataset: access log refused a write record", "error", err)
		return ErrUnavailable
	}
	return nil
}
