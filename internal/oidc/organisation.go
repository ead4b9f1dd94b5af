package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dancu/dancu/internal/store"
)

// ScopeOrganisation asks for a sign-in as an organisation: the citizen
// signed in acts for an organisation whose legal representative they are
// (Decree 69/2024: an organisation's electronic identification account is
// used by its representative). The subject is then the organisation's,
// pairwise per relying party like a citizen's and the same whoever
// represents it; the representative appears as the actor (the "act" claim
// of RFC 8693, holding the representative's own pairwise subject); the
// level is the representative's, at least 2; and the consent is the
// organisation's own, remembered for it and not for the representative's
// personal sign-ins. Person scopes asked with it describe the
// representative, as the consent page says.
const ScopeOrganisation = "organisation"

// Organisation is an organisation a citizen represents, as the provider
// needs it.
type Organisation struct {
	AccountID string
	Name      string
	TaxCode   string
}

// Organisations tells which organisations a citizen currently represents
// (package eid's accounts, adapted in cmd/dancu). It is asked at every
// sign-in as an organisation and at every refresh of its tokens, so that a
// representative replaced by an officer can no longer act.
type Organisations interface {
	Represented(ctx context.Context, accountID string) ([]Organisation, error)
}

// actingFor is the organisation of a sign-in as an organisation, kept with
// the request and its tokens.
type actingFor struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	TaxCode   string `json:"tax_code"`
	// Representative is the representative's account; Actor their
	// pairwise subject at the relying party.
	Representative string `json:"representative"`
	Actor          string `json:"actor"`
}

// claims are what the organisation scope releases.
func (o *actingFor) claims() map[string]any {
	return map[string]any{
		"organisation": map[string]string{"name": o.Name, "tax_code": o.TaxCode},
		"act":          map[string]string{"sub": o.Actor},
	}
}

// represented lists the organisations u represents (none without an
// Organisations).
func (p *Provider) represented(ctx context.Context, u User) ([]Organisation, error) {
	if p.orgs == nil {
		return nil, nil
	}
	orgs, err := p.orgs.Represented(ctx, u.AccountID)
	if err != nil {
		return nil, fmt.Errorf("oidc: organisations represented: %w", err)
	}
	return orgs, nil
}

// stillRepresents reports whether the representative of a sign-in as an
// organisation still represents it.
func (p *Provider) stillRepresents(ctx context.Context, o *actingFor) (bool, error) {
	if p.orgs == nil {
		return false, nil
	}
	orgs, err := p.orgs.Represented(ctx, o.Representative)
	if err != nil {
		return false, fmt.Errorf("oidc: organisations represented: %w", err)
	}
	return slices.ContainsFunc(orgs, func(x Organisation) bool { return x.AccountID == o.AccountID }), nil
}

// orgSubject is an organisation's subject at a relying party: pairwise like
// a citizen's, from a key no PIN can take ("org:" never starts one).
func (p *Provider) orgSubject(rp *RP, o Organisation) string {
	if rp.SubjectType == SubjectPublic {
		return o.AccountID
	}
	return p.pairwise(rp, "org:"+o.AccountID)
}

// RevokeAccount withdraws every consent an account gave and revokes every
// token relying parties hold for it: what package eid asks when an
// organisation is handed to a new representative, who must agree again.
func (p *Provider) RevokeAccount(ctx context.Context, accountID string) error {
	err := RevokeAccountGrants(ctx, p.st, accountID)
	p.tokens.revoked()
	return err
}

// RevokeAccountGrants deletes an account's consents and revokes its tokens
// in the store, for a caller where no Provider runs (the command line). A
// running Provider reads tokens again within its cache's lifetime (2 s), so
// the revocation reaches it then; refresh is refused at once.
func RevokeAccountGrants(ctx context.Context, st store.OIDC, accountID string) error {
	cs, err := st.OIDCConsents(ctx, accountID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := st.DeleteOIDCConsent(ctx, accountID, c.ClientID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	_, err = st.RevokeOIDCTokens(ctx, store.OIDCTokenQuery{AccountID: accountID})
	return err
}

// asOrganisation reports whether the request is a sign-in as an
// organisation.
func (a *authRequest) asOrganisation() bool { return slices.Contains(a.Scopes, ScopeOrganisation) }
