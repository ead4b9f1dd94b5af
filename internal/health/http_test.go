package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/exchange/exchangetest"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

const (
	httpIssuer = "https://dancu.test"
	adminToken = "test-admin-token-0123456789"
)

// server is a whole API server with the exchange, datasets, cards and the
// health book mounted, and agencies' clients that get real access tokens.
type server struct {
	t     *testing.T
	ts    *httptest.Server
	ex    *exchange.Service
	cards *card.Service
	rec   *audittest.Recorder
	key   jose.JSONWebKey
	pin   string
}

func newServer(t *testing.T, st store.Store) *server {
	t.Helper()
	ctx := context.Background()
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 80, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	rec := &audittest.Recorder{}
	stack := exchangetest.New(t, st, rec, httpIssuer, adminToken)
	srv, ex, reg, log := stack.API, stack.Exchange, stack.Registry, stack.Logger
	ds := dataset.New(st, ex, rec, log)
	ds.Mount(srv, 0)
	ks, err := card.NewFileKeyStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	cards := card.New(card.Deps{Store: st, Registry: reg, PKI: card.NewPKI(st, ks, card.PKIConfig{}, nil), Exchange: ex, Recorder: rec, Logger: log})
	if err := cards.PKI().EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cards.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	cards.Mount(srv)
	New(Deps{Store: st, Datasets: ds, Cards: cards, Exchange: ex, Registry: reg, Recorder: rec, Logger: log}).Mount(srv)
	s := &server{t: t, ts: httptest.NewServer(srv), ex: ex, cards: cards, rec: rec}
	t.Cleanup(s.ts.Close)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s.key = jose.JSONWebKey{Key: k, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}
	evs, _ := reg.Events(ctx, store.EventQuery{Type: card.EventType, Limit: 1000})
	for i := len(evs) - 1; i >= 0 && s.pin == ""; i-- {
		if fs, err := cards.ChipFiles(ctx, evs[i].Subjects[0]); err == nil && fs.Card.Status == card.StatusValid {
			s.pin = evs[i].Subjects[0]
		}
	}
	return s
}

// agency adds an agency of a kind with one client and a grant, and returns
// the client's access token.
func (s *server) agency(id, kind string, g exchange.Grant) string {
	s.t.Helper()
	ctx := context.Background()
	if _, err := s.ex.AddAgency(ctx, exchange.Agency{ID: id, Name: id, Kind: kind}); err != nil {
		s.t.Fatal(err)
	}
	pub, _ := s.key.Public().MarshalJSON()
	if _, err := s.ex.AddClient(ctx, exchange.Client{ID: id + "-sys", Agency: id, Name: "system", JWKS: exchange.JSONWebKeySet{Keys: []json.RawMessage{pub}}}); err != nil {
		s.t.Fatal(err)
	}
	if g.Purpose != "" {
		g.Agency, g.LegalBasis = id, "Luật Căn cước 2023"
		if _, err := s.ex.SetGrant(ctx, g); err != nil {
			s.t.Fatal(err)
		}
	}
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), "k1"))
	now := time.Now()
	a, _ := jwt.Signed(sig).Claims(jwt.Claims{Issuer: id + "-sys", Subject: id + "-sys", Audience: jwt.Audience{httpIssuer + exchange.TokenPath},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: rand.Text()}).Serialize()
	resp, err := http.PostForm(s.ts.URL+exchange.TokenPath, url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {exchange.AssertionType}, "client_assertion": {a}})
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if body.AccessToken == "" {
		s.t.Fatalf("no token: %d", resp.StatusCode)
	}
	return body.AccessToken
}

func (s *server) do(method, path, bearer string, body any) (int, []byte, http.Header) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.ts.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestHTTP_cardsAndCheckIn drives the card and health API as a bank, a
// hospital and the administrator would, over HTTP.
func TestHTTP_cardsAndCheckIn(t *testing.T) {
	s := newServer(t, backends(t)["sqlite"])
	bank := s.agency("bank-a", "bank", exchange.Grant{Purpose: "kyc", Fields: []string{"documents"}, Status: exchange.Active})
	nosy := s.agency("bank-b", "bank", exchange.Grant{Purpose: "kyc", Fields: []string{"full_name"}, Status: exchange.Active})
	hosp := s.agency("bv-a", "hospital", exchange.Grant{Purpose: PurposeCheckIn, Fields: []string{"full_name", "birth_date"}, Status: exchange.Active})

	// The trust anchors are public.
	code, body, hdr := s.do("GET", "/v1/card/csca/current", "", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/pkix-cert" {
		t.Fatalf("CSCA: %d %s", code, hdr.Get("Content-Type"))
	}
	csca, err := x509.ParseCertificate(body)
	if err != nil || !csca.IsCA {
		t.Fatalf("CSCA certificate: %v", err)
	}
	code, body, _ = s.do("GET", "/v1/card/crl/current", "", nil)
	if crl, err := x509.ParseRevocationList(body); code != 200 || err != nil || crl.CheckSignatureFrom(csca) != nil {
		t.Fatalf("CRL: %d %v", code, err)
	}
	if code, body, _ = s.do("GET", "/v1/card/pki", "", nil); code != 200 || !strings.Contains(string(body), `"role":"ds"`) {
		t.Fatalf("pki: %d %s", code, body)
	}

	fs, err := s.cards.ChipFiles(context.Background(), s.pin)
	if err != nil {
		t.Fatal(err)
	}
	chip := card.ChipData{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD}
	// A bank verifies the chip online.
	code, body, _ = s.do("POST", card.VerifyPath, bank, chip)
	var v card.Verified
	json.Unmarshal(body, &v)
	if code != 200 || !v.Valid || v.Attributes.PIN != s.pin {
		t.Fatalf("verify: %d %s", code, body)
	}
	bad := chip
	bad.SOD = append([]byte(nil), chip.SOD[:len(chip.SOD)-3]...)
	code, body, _ = s.do("POST", card.VerifyPath, bank, bad)
	if json.Unmarshal(body, &v); code != 200 || v.Valid || v.Reason != "malformed" {
		t.Fatalf("verify truncated: %d %s", code, body)
	}
	// Card status: with a grant releasing documents, recorded; without, refused.
	s.rec.Take()
	code, body, _ = s.do("GET", "/v1/cards/"+s.pin+"/status?purpose=kyc", bank, nil)
	if code != 200 || !strings.Contains(string(body), `"status":"valid"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if got := s.rec.Take(); len(got) != 1 || got[0].Agency != "bank-a" || got[0].PIN != s.pin {
		t.Errorf("status lookup recorded %+v", got)
	}
	if code, _, _ = s.do("GET", "/v1/cards/"+s.pin+"/status?purpose=kyc", nosy, nil); code != 403 {
		t.Errorf("status without the documents field: %d", code)
	}
	if code, _, _ = s.do("GET", "/v1/cards/"+s.pin+"/status", bank, nil); code != 400 {
		t.Errorf("status without a purpose: %d", code)
	}
	// Only the administrator changes a status.
	if code, _, _ = s.do("POST", "/v1/cards/"+s.pin+"/status", bank, map[string]any{"status": "lost", "reason": "x"}); code != 403 {
		t.Errorf("bank set status: %d", code)
	}

	// A hospital checks the patient in with the chip, then the QR code.
	code, body, _ = s.do("POST", CheckInPath, hosp, CheckInRequest{Chip: &chip})
	var a CheckInAnswer
	if json.Unmarshal(body, &a); code != 200 || !a.Accepted || !a.Verified || a.Patient["full_name"] == nil {
		t.Fatalf("check-in: %d %s", code, body)
	}
	if code, _, _ = s.do("POST", CheckInPath, bank, CheckInRequest{Chip: &chip}); code != 403 {
		t.Errorf("a bank checked a patient in: %d", code)
	}
	code, body, _ = s.do("POST", CheckInPath, hosp, CheckInRequest{QR: s.pin + "||x"})
	if code != 422 || !strings.Contains(string(body), "body.qr.") {
		t.Errorf("check-in with a short QR: %d %s", code, body)
	}

	// The administrator reports the card lost; the bank and the hospital see it.
	code, body, _ = s.do("POST", "/v1/cards/"+s.pin+"/status", adminToken, map[string]any{"status": "lost", "reason": "báo mất tại Công an phường"})
	if code != 200 || !strings.Contains(string(body), `"status":"lost"`) {
		t.Fatalf("set status: %d %s", code, body)
	}
	if _, body, _ = s.do("GET", "/v1/cards/"+s.pin+"/status?purpose=kyc", bank, nil); !strings.Contains(string(body), `"status":"lost"`) {
		t.Errorf("status after loss: %s", body)
	}
	code, body, _ = s.do("POST", CheckInPath, hosp, CheckInRequest{Chip: &chip})
	if json.Unmarshal(body, &a); code != 200 || a.Accepted || a.Reason != "card_lost" {
		t.Errorf("check-in with a lost card: %d %s", code, body)
	}
	code, body, _ = s.do("GET", "/v1/health/stats", adminToken, nil)
	if code != 200 || !strings.Contains(string(body), `"registered_facilities":1`) || !strings.Contains(string(body), `"chip_facilities":1`) {
		t.Errorf("stats: %d %s", code, body)
	}
	if code, _, _ = s.do("GET", "/v1/health/book/"+s.pin, adminToken, nil); code != 200 {
		t.Errorf("book: %d", code)
	}
	if code, _, _ = s.do("GET", "/v1/health/book/"+s.pin, hosp, nil); code != 403 {
		t.Errorf("book read by a client: %d", code)
	}
}
