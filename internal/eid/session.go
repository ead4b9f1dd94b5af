package eid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/store"
)

// CookieName is the portal session cookie. Its value is the session's
// secret; the database keeps only a hash of it (the session id).
const CookieName = "dancu_citizen"

// touchEvery is how stale a session's last-seen time may get before a
// request writes it again: a write per request would be wasted.
const touchEvery = time.Minute

// Citizen is a signed-in citizen, as other packages see them.
type Citizen struct {
	AccountID string
	PIN       string
	Level     int // 1 or 2 (Decree 69/2024)
	SessionID string
	AuthTime  time.Time
	AMR       []string // {"pwd","otp"} (authenticator app) or {"pwd","sms"}
}

// Session is a session just started: the secret for the browser's cookie
// and who it signs in.
type Session struct {
	Token   string
	Citizen Citizen
	Expires time.Time
	// MustChangePassword: the portal sends the citizen to change the
	// password before anything else.
	MustChangePassword bool
}

// SessionInfo is a session as the citizen's list shows it.
type SessionInfo struct {
	ID       string
	Created  time.Time
	LastSeen time.Time
	Device   string
	Address  string
	AMR      []string
}

type sessionData struct {
	AMR     []string  `json:"amr"`
	Auth    time.Time `json:"auth_time"`
	Device  string    `json:"device,omitempty"`
	Address string    `json:"address,omitempty"`
}

// sessionID is the stored id of a session secret: a hash, so that a copy of
// the table signs no one in.
func sessionID(token string) string {
	h := sha256.Sum256([]byte("dancu eid session\x00" + token))
	return hex.EncodeToString(h[:16])
}

func (s *Service) startSession(ctx context.Context, a *Account, amr []string, c Client) (Session, error) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	data, err := json.Marshal(sessionData{AMR: amr, Auth: now, Device: c.device(), Address: c.maskedAddress()})
	if err != nil {
		return Session{}, err
	}
	exp := now.Add(s.cfg.SessionMax)
	row := store.EIDSession{ID: sessionID(token), AccountID: a.ID, CreatedAt: now, LastSeen: now, ExpiresAt: exp, Data: data}
	if err := s.st.CreateEIDSession(ctx, row); err != nil {
		return Session{}, fmt.Errorf("eid: start session: %w", err)
	}
	return Session{
		Token:              token,
		Citizen:            Citizen{AccountID: a.ID, PIN: a.PIN, Level: a.Level, SessionID: row.ID, AuthTime: now, AMR: amr},
		Expires:            exp,
		MustChangePassword: a.MustChangePassword,
	}, nil
}

// Authenticate returns the citizen a session secret signs in, or
// ErrNotFound when the session is unknown, revoked, expired, idle too long,
// older than the account's last recovery, or the account is disabled.
func (s *Service) Authenticate(ctx context.Context, token string) (Citizen, error) {
	if token == "" || len(token) > 100 {
		return Citizen{}, ErrNotFound
	}
	row, err := s.st.EIDSession(ctx, sessionID(token))
	if errors.Is(err, store.ErrNotFound) {
		return Citizen{}, ErrNotFound
	}
	if err != nil {
		return Citizen{}, fmt.Errorf("eid: read session: %w", err)
	}
	now := s.now()
	if !row.RevokedAt.IsZero() || !now.Before(row.ExpiresAt) || now.Sub(row.LastSeen) > s.cfg.SessionIdle {
		return Citizen{}, ErrNotFound
	}
	a, err := s.Account(ctx, row.AccountID)
	if err != nil {
		return Citizen{}, err
	}
	if a.Disabled || row.CreatedAt.Before(a.SessionsNotBefore) {
		return Citizen{}, ErrNotFound
	}
	var d sessionData
	if err := json.Unmarshal(row.Data, &d); err != nil {
		return Citizen{}, fmt.Errorf("eid: decode session: %w", err)
	}
	if now.Sub(row.LastSeen) > touchEvery {
		if err := s.st.TouchEIDSession(ctx, row.ID, now.UTC()); err != nil {
			s.log.WarnContext(ctx, "eid: touch session", "err", err)
		}
	}
	return Citizen{AccountID: a.ID, PIN: a.PIN, Level: a.Level, SessionID: row.ID, AuthTime: d.Auth, AMR: d.AMR}, nil
}

type ctxKey struct{}

// WithCitizen returns a context carrying c, so that Current answers without
// another look-up for the rest of the request (the portal's middleware
// sets it).
func WithCitizen(ctx context.Context, c Citizen) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// Current returns the citizen signed in on r: from the request's context
// when the portal's middleware put them there, otherwise from the session
// cookie. Any package serving citizens calls it; a browser without a
// session is sent to /portal/signin?next=<url.QueryEscape(r.URL.RequestURI())>.
func (s *Service) Current(r *http.Request) (Citizen, bool) {
	if c, ok := r.Context().Value(ctxKey{}).(Citizen); ok {
		return c, true
	}
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return Citizen{}, false
	}
	c, err := s.Authenticate(r.Context(), ck.Value)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.ErrorContext(r.Context(), "eid: authenticate", "err", err)
		}
		return Citizen{}, false
	}
	return c, true
}

// SetCookie writes the session cookie: HttpOnly, SameSite=Lax (so that a
// relying party's redirect back to the portal carries it), Secure over TLS
// or when the service is configured so, for the whole site (the OIDC
// provider reads it too).
func (s *Service) SetCookie(w http.ResponseWriter, r *http.Request, sess Session) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/", Expires: sess.Expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies || r.TLS != nil,
	})
}

// ClearCookie removes the session cookie.
func (s *Service) ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies || r.TLS != nil,
	})
}

// Sessions lists an account's live sessions, the newest first.
func (s *Service) Sessions(ctx context.Context, accountID string) ([]SessionInfo, error) {
	rows, err := s.st.EIDSessions(ctx, accountID, s.now())
	if err != nil {
		return nil, fmt.Errorf("eid: sessions: %w", err)
	}
	out := make([]SessionInfo, 0, len(rows))
	for _, r := range rows {
		if s.now().Sub(r.LastSeen) > s.cfg.SessionIdle {
			continue
		}
		var d sessionData
		json.Unmarshal(r.Data, &d)
		out = append(out, SessionInfo{ID: r.ID, Created: r.CreatedAt, LastSeen: r.LastSeen, Device: d.Device, Address: d.Address, AMR: d.AMR})
	}
	return out, nil
}

// RevokeSession ends one of an account's sessions (ErrNotFound if it has no
// such live session).
func (s *Service) RevokeSession(ctx context.Context, accountID, sessionID string, c Client) error {
	n, err := s.st.RevokeEIDSessions(ctx, accountID, sessionID, s.now().UTC())
	if err != nil {
		return fmt.Errorf("eid: revoke session: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	s.event(ctx, accountID, EventSessionRevoked, Event{Device: c.device(), Address: c.maskedAddress()})
	return nil
}

// SignOut ends the session of a signed-in citizen.
func (s *Service) SignOut(ctx context.Context, c Citizen) error {
	if c.SessionID == "" {
		return nil
	}
	_, err := s.st.RevokeEIDSessions(ctx, c.AccountID, c.SessionID, s.now().UTC())
	return err
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session. A wrong current password counts as a failed
// sign-in, so that a session left open cannot be used to guess it.
func (s *Service) ChangePassword(ctx context.Context, c Citizen, current, next string, cl Client) error {
	if err := s.checkLocks(ctx, cl, c.AccountID); err != nil {
		return err
	}
	a, err := s.Account(ctx, c.AccountID)
	if err != nil {
		return err
	}
	if ok, _, err := credential.VerifyPassword(a.PasswordHash, current, s.cfg.Params); err != nil || !ok {
		if err := s.failed(ctx, cl, a.ID, "password"); err != nil {
			return err
		}
		return ErrSignIn
	}
	if err := checkPassword(next, a.PIN, trimCountry(a.Phone)); err != nil {
		return err
	}
	if next == current {
		return &InputError{"password", "must differ from the current one"}
	}
	h := credential.HashPassword(next, s.cfg.Params)
	now := s.now().UTC()
	if _, err := s.update(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.MustChangePassword, a.PasswordChangedAt = h, false, now
		return nil
	}); err != nil {
		return err
	}
	// Every other browser signs in again with the new password.
	sessions, err := s.st.EIDSessions(ctx, a.ID, now)
	if err != nil {
		return fmt.Errorf("eid: sessions: %w", err)
	}
	for _, r := range sessions {
		if r.ID != c.SessionID {
			if _, err := s.st.RevokeEIDSessions(ctx, a.ID, r.ID, now); err != nil {
				return fmt.Errorf("eid: revoke session: %w", err)
			}
		}
	}
	s.event(ctx, a.ID, EventPasswordChange, Event{Device: cl.device(), Address: cl.maskedAddress()})
	return nil
}

func trimCountry(phone string) string {
	if len(phone) > 3 && phone[:3] == "+84" {
		return phone[3:]
	}
	return phone
}
