package sealed

import (
	"context"
	"errors"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Linked datasets (datasetkeys.go): the document is sealed, the record's
// key is blind-indexed, and the content hash the backend compares to skip
// unchanged records becomes a keyed blind index of it, since a bare
// SHA-256 of a short document can be reversed by trying the likely ones.

// VaccinationDoses implements store.Health over the opened records.
func (s *Store) VaccinationDoses(ctx context.Context, datasets []string) ([]store.VaccineDoses, error) {
	return store.CountVaccinationDoses(ctx, s, datasets)
}

// Chip cards: DG1 (the MRZ), DG2 (the portrait), DG13 (ethnicity,
// religion, identifying marks...) and EF.SOD (their hashes).

func (s *Store) cardFiles(c *store.CardRow, f func(p *[]byte, table string, key ...string) error) error {
	for name, p := range map[string]*[]byte{"dg1": &c.DG1, "dg2": &c.DG2, "dg13": &c.DG13, "sod": &c.SOD} {
		if err := f(p, tCard, c.EventID, name); err != nil {
			return err
		}
	}
	return nil
}

// InsertCards implements store.Cards.
func (s *Store) InsertCards(ctx context.Context, cards []store.CardRow) (int, error) {
	out := make([]store.CardRow, len(cards))
	for i, c := range cards {
		err := s.cardFiles(&c, func(p *[]byte, table string, key ...string) (err error) {
			*p, err = s.seal(ctx, *p, table, key...)
			return err
		})
		if err != nil {
			return 0, err
		}
		out[i] = c
	}
	return s.Store.InsertCards(ctx, out)
}

// CardsByPIN implements store.Cards.
func (s *Store) CardsByPIN(ctx context.Context, pin string) ([]store.CardRow, error) {
	cs, err := s.Store.CardsByPIN(ctx, pin)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		err := s.cardFiles(&cs[i], func(p *[]byte, table string, key ...string) (err error) {
			*p, err = s.open(ctx, *p, table, key...)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Dossiers of online public services and their attachments.

func dossierDoc(d *store.DossierRow) (*[]byte, string, []string) {
	return &d.Data, tDossier, []string{d.Code}
}

func attachmentDoc(a *store.AttachmentRow) (*[]byte, string, []string) {
	return &a.Content, tAttachment, []string{a.Dossier, a.ID}
}

// CreateDossier implements store.Dossiers.
func (s *Store) CreateDossier(ctx context.Context, d store.DossierRow, atts []store.AttachmentRow, n *store.NotificationRow) (store.DossierRow, error) {
	if err := sealDoc(ctx, s, &d, dossierDoc); err != nil {
		return store.DossierRow{}, err
	}
	sealed := make([]store.AttachmentRow, len(atts))
	for i, a := range atts {
		if err := sealDoc(ctx, s, &a, attachmentDoc); err != nil {
			return store.DossierRow{}, err
		}
		sealed[i] = a
	}
	got, err := s.Store.CreateDossier(ctx, d, sealed, n)
	if err != nil && !(errors.Is(err, store.ErrExists) && got.Code != "") {
		return got, err
	}
	got, oerr := openOne(ctx, s, got, nil, dossierDoc)
	if oerr != nil {
		return store.DossierRow{}, oerr
	}
	return got, err
}

// Dossier implements store.Dossiers.
func (s *Store) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	d, err := s.Store.Dossier(ctx, code)
	return openOne(ctx, s, d, err, dossierDoc)
}

// DossierList implements store.Dossiers.
func (s *Store) DossierList(ctx context.Context, q store.DossierQuery) ([]store.DossierRow, error) {
	ds, err := s.Store.DossierList(ctx, q)
	return openAll(ctx, s, ds, err, dossierDoc)
}

// Attachment implements store.Dossiers.
func (s *Store) Attachment(ctx context.Context, dossier, id string) (store.AttachmentRow, error) {
	a, err := s.Store.Attachment(ctx, dossier, id)
	return openOne(ctx, s, a, err, attachmentDoc)
}

// Electronic identification: accounts hold the phone and email; sessions,
// account events and transient records (one-time codes sent to a phone)
// may hold them too.

func eidAccountDoc(a *store.EIDAccount) (*[]byte, string, []string) {
	return &a.Data, tEIDAccount, []string{a.ID}
}

func eidSessionDoc(x *store.EIDSession) (*[]byte, string, []string) {
	return &x.Data, tEIDSession, []string{x.ID}
}

func eidEventDoc(e *store.EIDEvent) (*[]byte, string, []string) {
	return &e.Data, tEIDEvent, []string{e.AccountID}
}

func eidTransientDoc(r *store.EIDTransient) (*[]byte, string, []string) {
	return &r.Data, tEIDTrans, []string{r.Kind, r.ID}
}

// CreateEIDAccount implements store.EID.
func (s *Store) CreateEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if err := sealDoc(ctx, s, &a, eidAccountDoc); err != nil {
		return err
	}
	return s.Store.CreateEIDAccount(ctx, a)
}

// EIDAccount implements store.EID.
func (s *Store) EIDAccount(ctx context.Context, id string) (store.EIDAccount, error) {
	a, err := s.Store.EIDAccount(ctx, id)
	return openOne(ctx, s, a, err, eidAccountDoc)
}

// EIDAccountByPIN implements store.EID.
func (s *Store) EIDAccountByPIN(ctx context.Context, pin string) (store.EIDAccount, error) {
	a, err := s.Store.EIDAccountByPIN(ctx, pin)
	return openOne(ctx, s, a, err, eidAccountDoc)
}

// EIDAccountsByParent implements store.EID.
func (s *Store) EIDAccountsByParent(ctx context.Context, parent string) ([]store.EIDAccount, error) {
	as, err := s.Store.EIDAccountsByParent(ctx, parent)
	return openAll(ctx, s, as, err, eidAccountDoc)
}

// EIDAccountsAfter implements store.StatsSource.
func (s *Store) EIDAccountsAfter(ctx context.Context, afterID string, limit int) ([]store.EIDAccount, error) {
	as, err := s.Store.EIDAccountsAfter(ctx, afterID, limit)
	return openAll(ctx, s, as, err, eidAccountDoc)
}

// PutEIDAccount implements store.EID.
func (s *Store) PutEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if err := sealDoc(ctx, s, &a, eidAccountDoc); err != nil {
		return err
	}
	return s.Store.PutEIDAccount(ctx, a)
}

// CreateEIDSession implements store.EID.
func (s *Store) CreateEIDSession(ctx context.Context, x store.EIDSession) error {
	if err := sealDoc(ctx, s, &x, eidSessionDoc); err != nil {
		return err
	}
	return s.Store.CreateEIDSession(ctx, x)
}

// EIDSession implements store.EID.
func (s *Store) EIDSession(ctx context.Context, id string) (store.EIDSession, error) {
	x, err := s.Store.EIDSession(ctx, id)
	return openOne(ctx, s, x, err, eidSessionDoc)
}

// EIDSessions implements store.EID.
func (s *Store) EIDSessions(ctx context.Context, accountID string, now time.Time) ([]store.EIDSession, error) {
	xs, err := s.Store.EIDSessions(ctx, accountID, now)
	return openAll(ctx, s, xs, err, eidSessionDoc)
}

// AppendEIDEvent implements store.EID.
func (s *Store) AppendEIDEvent(ctx context.Context, e store.EIDEvent) error {
	if err := sealDoc(ctx, s, &e, eidEventDoc); err != nil {
		return err
	}
	return s.Store.AppendEIDEvent(ctx, e)
}

// EIDEvents implements store.EID.
func (s *Store) EIDEvents(ctx context.Context, accountID string, before int64, limit int) ([]store.EIDEvent, error) {
	es, err := s.Store.EIDEvents(ctx, accountID, before, limit)
	return openAll(ctx, s, es, err, eidEventDoc)
}

// EIDTransient implements store.EID.
func (s *Store) EIDTransient(ctx context.Context, kind, id string) (store.EIDTransient, error) {
	r, err := s.Store.EIDTransient(ctx, kind, id)
	return openOne(ctx, s, r, err, eidTransientDoc)
}

// PutEIDTransient implements store.EID.
func (s *Store) PutEIDTransient(ctx context.Context, r store.EIDTransient) error {
	if err := sealDoc(ctx, s, &r, eidTransientDoc); err != nil {
		return err
	}
	return s.Store.PutEIDTransient(ctx, r)
}

// OpenID Connect: requests and tokens carry the citizen's released claims;
// the signing keys are secrets.

func oidcReqDoc(r *store.OIDCAuthRequest) (*[]byte, string, []string) {
	return &r.Data, tOIDCReq, []string{r.ID}
}

func oidcTokenDoc(t *store.OIDCToken) (*[]byte, string, []string) {
	return &t.Data, tOIDCToken, []string{t.ID}
}

func oidcKeyDoc(k *store.OIDCKey) (*[]byte, string, []string) {
	return &k.PrivateJWK, tOIDCKey, []string{k.ID}
}

// PutOIDCAuthRequest implements store.OIDC.
func (s *Store) PutOIDCAuthRequest(ctx context.Context, r store.OIDCAuthRequest) error {
	if err := sealDoc(ctx, s, &r, oidcReqDoc); err != nil {
		return err
	}
	return s.Store.PutOIDCAuthRequest(ctx, r)
}

// OIDCAuthRequest implements store.OIDC.
func (s *Store) OIDCAuthRequest(ctx context.Context, id string) (store.OIDCAuthRequest, error) {
	r, err := s.Store.OIDCAuthRequest(ctx, id)
	return openOne(ctx, s, r, err, oidcReqDoc)
}

// SetOIDCAuthCode implements store.OIDC.
func (s *Store) SetOIDCAuthCode(ctx context.Context, id, codeHash string, data []byte) error {
	if data != nil {
		var err error
		if data, err = s.seal(ctx, data, tOIDCReq, id); err != nil {
			return err
		}
	}
	return s.Store.SetOIDCAuthCode(ctx, id, codeHash, data)
}

// UseOIDCAuthCode implements store.OIDC; a code used before still returns
// its request, opened, with ErrConflict.
func (s *Store) UseOIDCAuthCode(ctx context.Context, codeHash string) (store.OIDCAuthRequest, error) {
	r, err := s.Store.UseOIDCAuthCode(ctx, codeHash)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return r, err
	}
	r, oerr := openOne(ctx, s, r, nil, oidcReqDoc)
	if oerr != nil {
		return store.OIDCAuthRequest{}, oerr
	}
	return r, err
}

// PutOIDCToken implements store.OIDC.
func (s *Store) PutOIDCToken(ctx context.Context, t store.OIDCToken) error {
	if err := sealDoc(ctx, s, &t, oidcTokenDoc); err != nil {
		return err
	}
	return s.Store.PutOIDCToken(ctx, t)
}

// OIDCToken implements store.OIDC.
func (s *Store) OIDCToken(ctx context.Context, id string) (store.OIDCToken, error) {
	t, err := s.Store.OIDCToken(ctx, id)
	return openOne(ctx, s, t, err, oidcTokenDoc)
}

// OIDCTokenByRefresh implements store.OIDC.
func (s *Store) OIDCTokenByRefresh(ctx context.Context, refreshHash string) (store.OIDCToken, error) {
	t, err := s.Store.OIDCTokenByRefresh(ctx, refreshHash)
	return openOne(ctx, s, t, err, oidcTokenDoc)
}

// AddOIDCKey implements store.OIDC.
func (s *Store) AddOIDCKey(ctx context.Context, k store.OIDCKey) (store.OIDCKey, error) {
	if err := sealDoc(ctx, s, &k, oidcKeyDoc); err != nil {
		return store.OIDCKey{}, err
	}
	got, err := s.Store.AddOIDCKey(ctx, k)
	return openOne(ctx, s, got, err, oidcKeyDoc)
}

// OIDCKeys implements store.OIDC.
func (s *Store) OIDCKeys(ctx context.Context) ([]store.OIDCKey, error) {
	ks, err := s.Store.OIDCKeys(ctx)
	return openAll(ctx, s, ks, err, oidcKeyDoc)
}
