package card

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/card/lds"
	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// EventType is the life event that issues a card.
const EventType = "id_card_issued"

// cursorKey is the setting that holds the Seq of the last issuing event
// turned into a card.
const cursorKey = "card.issued_seq"

// The statuses of a card. Expired is never stored: a valid card past its
// expiry date reads as expired.
const (
	StatusValid    = "valid"
	StatusExpired  = "expired"
	StatusLost     = "lost"
	StatusRevoked  = "revoked"
	StatusReplaced = "replaced"
)

// Errors of the service.
var (
	// ErrInvalid wraps a request that breaks a rule (an unknown status, a
	// change of status that is not allowed).
	ErrInvalid = errors.New("card: invalid")
	// ErrNoCard means the person holds no card (or no chip card).
	ErrNoCard = errors.New("card: no such card")
)

// Store is what the cards keep.
type Store interface {
	store.Cards
	store.Directory
	store.Settings
}

// Exchange is the part of the exchange that says what an agency may do.
// *exchange.Service provides it.
type Exchange interface {
	Grants(ctx context.Context, agency string) ([]exchange.Grant, error)
}

// Service issues cards, keeps their status and verifies them. It is safe
// for concurrent use.
type Service struct {
	st  Store
	reg *registry.Registry
	pki *PKI
	ex  Exchange
	rec audit.Recorder
	log *slog.Logger
	now func() time.Time

	vmu      sync.Mutex
	verifier *verify.Verifier
	vAt      time.Time
}

// Deps are a Service's dependencies. Store, Registry and PKI are required;
// Exchange and Recorder serve agencies' lookups (nil: refused).
type Deps struct {
	Store    Store
	Registry *registry.Registry
	PKI      *PKI
	Exchange Exchange
	Recorder audit.Recorder
	Logger   *slog.Logger
	Now      func() time.Time
}

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{st: d.Store, reg: d.Registry, pki: d.PKI, ex: d.Exchange, rec: d.Recorder, log: d.Logger, now: d.Now}
}

// PKI returns the signing PKI.
func (s *Service) PKI() *PKI { return s.pki }

// Card is a card as the API shows it (without its chip files).
type Card struct {
	PIN          string `json:"pin"`
	Seq          int64  `json:"seq" doc:"The sequence number of the issuing event; with the PIN it names the card."`
	Number       string `json:"number" doc:"The card number: the PIN."`
	Kind         string `json:"kind" enum:"can_cuoc,cccd"`
	IssueDate    string `json:"issue_date"`
	Expiry       string `json:"expiry,omitempty" doc:"Empty for a card that does not expire (issued at 60 or over)."`
	Authority    string `json:"issuing_authority"`
	Status       string `json:"status" enum:"valid,expired,lost,revoked,replaced"`
	StatusReason string `json:"status_reason,omitempty"`
	Chip         bool   `json:"chip"`
	DSSerial     string `json:"document_signer_serial,omitempty"`
	Version      int64  `json:"version"`
}

func (s *Service) today() string {
	return registry.DateOf(s.now().In(registry.Vietnam)).String()
}

func (s *Service) view(r store.CardRow) Card {
	st := r.Status
	if st == StatusValid && r.Expiry != "" && r.Expiry < s.today() {
		st = StatusExpired
	}
	return Card{PIN: r.PIN, Seq: r.Seq, Number: r.PIN, Kind: r.Kind, IssueDate: r.IssueDate, Expiry: r.Expiry,
		Authority: r.Authority, Status: st, StatusReason: r.StatusReason, Chip: r.Chip, DSSerial: r.DSSerial, Version: r.Version}
}

// Cards returns a person's cards, oldest first.
func (s *Service) Cards(ctx context.Context, pin string) ([]Card, error) {
	rows, err := s.st.CardsByPIN(ctx, pin)
	if err != nil {
		return nil, err
	}
	out := make([]Card, len(rows))
	for i, r := range rows {
		out[i] = s.view(r)
	}
	return out, nil
}

// Current returns the person's latest card, or ErrNoCard.
func (s *Service) Current(ctx context.Context, pin string) (*Card, error) {
	cs, err := s.Cards(ctx, pin)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, ErrNoCard
	}
	return &cs[len(cs)-1], nil
}

// allowed are the changes of status by hand: a card in use may be reported
// lost, revoked or marked replaced; a lost card may still be revoked.
// Nothing goes back to valid: a found card stays cancelled.
var allowed = map[string][]string{
	StatusValid: {StatusLost, StatusRevoked, StatusReplaced},
	StatusLost:  {StatusRevoked},
}

// SetStatus changes a card's status (seq 0: the latest card) by the
// issuing authority's decision, with the reason and who decided.
func (s *Service) SetStatus(ctx context.Context, pin string, seq int64, status, reason, actor string) (*Card, error) {
	if reason == "" || len(reason) > 500 {
		return nil, fmt.Errorf("%w: reason is required (at most 500 bytes)", ErrInvalid)
	}
	for range 3 {
		rows, err := s.st.CardsByPIN(ctx, pin)
		if err != nil {
			return nil, err
		}
		i := len(rows) - 1
		if seq != 0 {
			for i >= 0 && rows[i].Seq != seq {
				i--
			}
		}
		if i < 0 {
			return nil, ErrNoCard
		}
		r := rows[i]
		ok := false
		for _, to := range allowed[r.Status] {
			ok = ok || to == status
		}
		if !ok {
			return nil, fmt.Errorf("%w: status: a %s card cannot become %s", ErrInvalid, r.Status, status)
		}
		err = s.st.SetCardStatus(ctx, pin, r.Seq, r.Version, store.CardStatusChange{Status: status, Reason: reason, Actor: actor})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Status, r.StatusReason, r.Version = status, reason, r.Version+1
		c := s.view(r)
		return &c, nil
	}
	return nil, store.ErrConflict
}

// Files are a chip card's files as a reader takes them from the chip.
type Files struct {
	Card Card
	DG1  []byte
	DG2  []byte
	DG13 []byte
	SOD  []byte
}

// ChipFiles returns the chip files of the person's latest chip card, or
// ErrNoCard.
func (s *Service) ChipFiles(ctx context.Context, pin string) (*Files, error) {
	rows, err := s.st.CardsByPIN(ctx, pin)
	if err != nil {
		return nil, err
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if r := rows[i]; r.Chip && len(r.SOD) > 0 {
			return &Files{Card: s.view(r), DG1: r.DG1, DG2: r.DG2, DG13: r.DG13, SOD: r.SOD}, nil
		}
	}
	return nil, ErrNoCard
}

// IssuePending turns the issuing events recorded since the last call into
// cards, batch by batch, and returns how many cards it wrote. Several
// processes may run it at once: a card is written once whoever gets there
// first.
func (s *Service) IssuePending(ctx context.Context) (int, error) {
	const batch = 512
	total := 0
	for {
		var after int64
		if v, err := s.st.Setting(ctx, cursorKey); err == nil {
			after, _ = strconv.ParseInt(v, 10, 64)
		} else if !errors.Is(err, store.ErrNotFound) {
			return total, err
		}
		evs, err := s.reg.Events(ctx, store.EventQuery{AfterSeq: after, Type: EventType, Limit: batch})
		if err != nil {
			return total, err
		}
		if len(evs) == 0 {
			return total, nil
		}
		n, err := s.IssueEvents(ctx, evs)
		total += n
		if err != nil {
			return total, err
		}
		if err := s.st.PutSetting(ctx, cursorKey, strconv.FormatInt(evs[len(evs)-1].Seq, 10)); err != nil {
			return total, err
		}
		if len(evs) < batch {
			return total, nil
		}
	}
}

// IssueEvents turns issuing events into cards, signing the chip data of
// chip cards with the DS in use, on every core. An event whose person
// version cannot be found is skipped and logged by event id.
func (s *Service) IssueEvents(ctx context.Context, evs []store.EventRow) (int, error) {
	signer, dsCert, err := s.pki.DocumentSigner(ctx)
	if err != nil {
		return 0, err
	}
	rows := make([]*store.CardRow, len(evs))
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				rows[i], errs[i] = s.cardFor(ctx, evs[i], signer, dsCert)
			}
		})
	}
	for i := range evs {
		next <- i
	}
	close(next)
	wg.Wait()
	out := make([]store.CardRow, 0, len(rows))
	for i, r := range rows {
		if errs[i] != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			s.log.WarnContext(ctx, "card: an issuing event gave no card", "event_id", evs[i].ID, "error", errs[i])
			continue
		}
		if r != nil {
			out = append(out, *r)
		}
	}
	return s.st.InsertCards(ctx, out)
}

// errNoVersion means the registry holds no version of the person made by
// the event.
var errNoVersion = errors.New("card: no person version written by the event")

// cardFor builds the card an event issued.
func (s *Service) cardFor(ctx context.Context, ev store.EventRow, signer crypto.Signer, dsCert *x509.Certificate) (*store.CardRow, error) {
	if len(ev.Subjects) == 0 {
		return nil, errNoVersion
	}
	hist, err := s.reg.History(ctx, ev.Subjects[0])
	if err != nil {
		return nil, err
	}
	var p *registry.Person
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Change.EventID == ev.ID {
			p = hist[i].Person
			break
		}
	}
	if p == nil || len(p.Documents) == 0 {
		return nil, errNoVersion
	}
	doc := p.Documents[len(p.Documents)-1]
	row := &store.CardRow{
		PIN: p.PIN, Seq: ev.Seq, EventID: ev.ID, Kind: string(doc.Kind), IssueDate: doc.IssueDate.String(),
		Authority: doc.Place, Status: StatusValid, Chip: doc.Chip,
	}
	if !doc.Expiry.IsZero() {
		row.Expiry = doc.Expiry.String()
	}
	if !doc.Chip {
		return row, nil
	}
	chip, err := BuildChip(p, doc)
	if err != nil {
		return nil, err
	}
	sod, err := lds.BuildSOD(map[int][]byte{1: chip.DG1, 2: chip.DG2, 13: chip.DG13}, signer, dsCert, s.now())
	if err != nil {
		return nil, err
	}
	row.DG1, row.DG2, row.DG13, row.SOD = chip.DG1, chip.DG2, chip.DG13, sod
	row.DSSerial = dsCert.SerialNumber.Text(16)
	return row, nil
}

// Verifier returns a verifier that trusts this PKI's CSCAs and knows their
// revocation lists, rebuilt at most once a minute.
func (s *Service) Verifier(ctx context.Context) (*verify.Verifier, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	if s.verifier != nil && s.now().Sub(s.vAt) < time.Minute {
		return s.verifier, nil
	}
	cscas, _, err := s.pki.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	certs, err := s.pki.CSCACertificates(ctx)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, errors.New("card: no CSCA yet")
	}
	v, err := verify.New(certs, verify.WithClock(s.now))
	if err != nil {
		return nil, err
	}
	for _, c := range cscas {
		der, err := s.pki.CRL(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, err
		}
		if err := v.AddCRL(crl); err != nil {
			return nil, err
		}
	}
	s.verifier, s.vAt = v, s.now()
	return v, nil
}

// Invalidate makes the next Verifier call rebuild (after a revocation).
func (s *Service) Invalidate() {
	s.vmu.Lock()
	s.verifier = nil
	s.vmu.Unlock()
}

// Run keeps the PKI on schedule and issues pending cards every interval
// until ctx is done.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.pki.EnsureKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "card: key rotation failed", "error", err)
		}
		if n, err := s.IssuePending(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "card: issuing failed", "error", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "card: cards issued", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
