package sealed

import (
	"context"

	"github.com/dancu/dancu/internal/store"
)

func personDoc(v *store.PersonVersion) (*[]byte, string, []string) {
	return &v.Data, tPerson, []string{v.PIN}
}

func personRowDoc(r *store.PersonRow) (*[]byte, string, []string) {
	return &r.Data, tPerson, []string{r.PIN}
}

func householdDoc(v *store.HouseholdVersion) (*[]byte, string, []string) {
	return &v.Data, tHousehold, []string{v.ID}
}

func outboxDoc(o *store.OutboxRow) (*[]byte, string, []string) {
	return &o.Data, tOutbox, []string{o.EventID, o.PIN}
}

// Person implements store.Registry.
func (s *Store) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	v, err := s.Store.Person(ctx, pin)
	return openOne(ctx, s, v, err, personDoc)
}

// PersonAsOf implements store.Registry.
func (s *Store) PersonAsOf(ctx context.Context, pin, date string) (store.PersonVersion, error) {
	v, err := s.Store.PersonAsOf(ctx, pin, date)
	return openOne(ctx, s, v, err, personDoc)
}

// PersonHistory implements store.Registry.
func (s *Store) PersonHistory(ctx context.Context, pin string) ([]store.PersonVersion, error) {
	vs, err := s.Store.PersonHistory(ctx, pin)
	return openAll(ctx, s, vs, err, personDoc)
}

// SearchPersons implements store.Registry.
func (s *Store) SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.PersonRow, error) {
	rs, err := s.Store.SearchPersons(ctx, q)
	return openAll(ctx, s, rs, err, personRowDoc)
}

// Household implements store.Registry.
func (s *Store) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	v, err := s.Store.Household(ctx, id)
	return openOne(ctx, s, v, err, householdDoc)
}

// HouseholdHistory implements store.Registry.
func (s *Store) HouseholdHistory(ctx context.Context, id string) ([]store.HouseholdVersion, error) {
	vs, err := s.Store.HouseholdHistory(ctx, id)
	return openAll(ctx, s, vs, err, householdDoc)
}

// Event implements store.Registry.
func (s *Store) Event(ctx context.Context, id string) (store.EventRow, error) {
	e, err := s.Store.Event(ctx, id)
	if err != nil {
		return e, err
	}
	return s.openEvent(ctx, e)
}

// Events implements store.Registry.
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.EventRow, error) {
	es, err := s.Store.Events(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range es {
		if es[i], err = s.openEvent(ctx, es[i]); err != nil {
			return nil, err
		}
	}
	return es, nil
}

// Outbox implements store.Registry.
func (s *Store) Outbox(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxRow, error) {
	os, err := s.Store.Outbox(ctx, afterSeq, limit)
	return openAll(ctx, s, os, err, outboxDoc)
}

// VerifyRows implements store.Verification.
func (s *Store) VerifyRows(ctx context.Context, pins []string, withData bool) ([]store.VerifyRow, error) {
	rs, err := s.Store.VerifyRows(ctx, pins, withData)
	return openAll(ctx, s, rs, err, func(r *store.VerifyRow) (*[]byte, string, []string) {
		return &r.Data, tPerson, []string{r.PIN}
	})
}

func (s *Store) openEvent(ctx context.Context, e store.EventRow) (store.EventRow, error) {
	var err error
	if e.Request, err = s.open(ctx, e.Request, tEventReq, e.ID); err != nil {
		return store.EventRow{}, err
	}
	if e.Result, err = s.open(ctx, e.Result, tEventRes, e.ID); err != nil {
		return store.EventRow{}, err
	}
	return e, nil
}

func (s *Store) sealEvent(ctx context.Context, e store.EventRow) (store.EventRow, error) {
	var err error
	if e.Request, err = s.seal(ctx, e.Request, tEventReq, e.ID); err != nil {
		return store.EventRow{}, err
	}
	if e.Result, err = s.seal(ctx, e.Result, tEventRes, e.ID); err != nil {
		return store.EventRow{}, err
	}
	return e, nil
}

// sealDoc seals the document of one row, in place.
func sealDoc[T any](ctx context.Context, s *Store, row *T, doc func(*T) (*[]byte, string, []string)) error {
	p, table, key := doc(row)
	var err error
	*p, err = s.seal(ctx, *p, table, key...)
	return err
}

// Update implements store.Registry: fn sees a transaction whose reads are
// opened and whose writes are sealed.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return fn(&sealedTx{Tx: tx, s: s})
	})
}

// sealedTx is the transaction view of Update.
type sealedTx struct {
	store.Tx
	s *Store
}

func (t *sealedTx) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	v, err := t.Tx.Person(ctx, pin)
	return openOne(ctx, t.s, v, err, personDoc)
}

func (t *sealedTx) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	v, err := t.Tx.Household(ctx, id)
	return openOne(ctx, t.s, v, err, householdDoc)
}

func (t *sealedTx) Event(ctx context.Context, id string) (store.EventRow, error) {
	e, err := t.Tx.Event(ctx, id)
	if err != nil {
		return e, err
	}
	return t.s.openEvent(ctx, e)
}

func (t *sealedTx) PutPerson(ctx context.Context, v store.PersonVersion) error {
	if err := sealDoc(ctx, t.s, &v, personDoc); err != nil {
		return err
	}
	return t.Tx.PutPerson(ctx, v)
}

func (t *sealedTx) PutHousehold(ctx context.Context, v store.HouseholdVersion) error {
	if err := sealDoc(ctx, t.s, &v, householdDoc); err != nil {
		return err
	}
	return t.Tx.PutHousehold(ctx, v)
}

func (t *sealedTx) PutEvent(ctx context.Context, e store.EventRow) (int64, error) {
	e, err := t.s.sealEvent(ctx, e)
	if err != nil {
		return 0, err
	}
	return t.Tx.PutEvent(ctx, e)
}

func (t *sealedTx) AppendOutbox(ctx context.Context, o store.OutboxRow) error {
	if err := sealDoc(ctx, t.s, &o, outboxDoc); err != nil {
		return err
	}
	return t.Tx.AppendOutbox(ctx, o)
}

func (t *sealedTx) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	d, err := t.Tx.Dossier(ctx, code)
	return openOne(ctx, t.s, d, err, dossierDoc)
}

func (t *sealedTx) PutDossier(ctx context.Context, d store.DossierRow) error {
	if err := sealDoc(ctx, t.s, &d, dossierDoc); err != nil {
		return err
	}
	return t.Tx.PutDossier(ctx, d)
}

func (t *sealedTx) PutAttachment(ctx context.Context, a store.AttachmentRow) error {
	if err := sealDoc(ctx, t.s, &a, attachmentDoc); err != nil {
		return err
	}
	return t.Tx.PutAttachment(ctx, a)
}

// NewLoader implements store.Registry: the loader seals each batch before
// the backend writes it.
func (s *Store) NewLoader(ctx context.Context) (store.Loader, error) {
	l, err := s.Store.NewLoader(ctx)
	if err != nil {
		return nil, err
	}
	return &sealedLoader{Loader: l, s: s}, nil
}

type sealedLoader struct {
	store.Loader
	s *Store
}

// Load seals a copy of the batch: the caller's slices stay as they were.
func (l *sealedLoader) Load(ctx context.Context, b store.Batch) error {
	out := store.Batch{
		Persons:    make([]store.PersonVersion, len(b.Persons)),
		Households: make([]store.HouseholdVersion, len(b.Households)),
		Events:     make([]store.EventRow, len(b.Events)),
	}
	var err error
	for i := range b.Persons {
		out.Persons[i] = b.Persons[i]
		if err := sealDoc(ctx, l.s, &out.Persons[i], personDoc); err != nil {
			return err
		}
	}
	for i := range b.Households {
		out.Households[i] = b.Households[i]
		if err := sealDoc(ctx, l.s, &out.Households[i], householdDoc); err != nil {
			return err
		}
	}
	for i := range b.Events {
		if out.Events[i], err = l.s.sealEvent(ctx, b.Events[i]); err != nil {
			return err
		}
	}
	return l.Loader.Load(ctx, out)
}
