package match

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/exchange/exchangetest"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

const (
	testIssuer = "https://dancu.test"
	adminToken = "test-admin-token-0123456789"
)

// The people every server env holds.
var (
	personAn = &registry.Person{
		PIN: "079090000123", FullName: "Nguyễn Văn An", BirthDate: registry.MustParseDate("1990-05-17"),
		Sex: registry.Male, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Single,
		Phone: "0901234567", OldIDNumber: "025123456",
		PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "12 Lê Lợi", ValidFrom: registry.MustParseDate("2010-01-01")},
		Status:             registry.Status{State: registry.Alive},
	}
	personHoa = &registry.Person{
		PIN: "001185000456", FullName: "Trần Thị Hoà", BirthDate: registry.MustParseDate("1985"),
		Sex: registry.Female, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Widowed,
		Status: registry.Status{State: registry.Dead, Date: registry.MustParseDate("2024-02-03")},
	}
)

// server is a dancu API server with the exchange and verification mounted.
type server struct {
	t    testing.TB
	st   store.Store
	ex   *exchange.Service
	svc  *Service
	jobs *Engine
	rec  *audittest.Recorder
	ts   *httptest.Server
	key  jose.JSONWebKey
}

func newServer(t testing.TB, st store.Store, scorer Scorer, maxUpload int64) *server {
	t.Helper()
	ctx := context.Background()
	for _, p := range []*registry.Person{personAn, personHoa} {
		row, err := registry.PersonRow(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = st.Update(ctx, func(tx store.Tx) error {
			return tx.PutPerson(ctx, store.PersonVersion{PersonRow: row, Change: store.Change{
				EventID: "ev-" + p.PIN, EventType: "initial_registration", Actor: "test", Reason: "test",
				ValidFrom: "2020-01-01", RecordedAt: time.Now().UTC()}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := &audittest.Recorder{}
	stack := exchangetest.New(t, st, rec, testIssuer, adminToken)
	srv, ex := stack.API, stack.Exchange
	svc, err := NewService(ctx, st, ex, rec, Options{Scorer: scorer, PartialDailyLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := NewEngine(st, rec, EngineOptions{Dir: t.TempDir(), BatchLines: 3})
	if err != nil {
		t.Fatal(err)
	}
	NewHandler(svc, jobs, ex, maxUpload).Mount(srv)
	s := &server{t: t, st: st, ex: ex, svc: svc, jobs: jobs, rec: rec, key: newServerKey(t)}
	s.ts = httptest.NewServer(srv)
	t.Cleanup(s.ts.Close)
	return s
}

func newServerKey(t testing.TB) jose.JSONWebKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}
}

// agency registers an agency with one client and one grant, and returns
// an access token of the client.
func (s *server) agency(id string, g exchange.Grant) string {
	s.t.Helper()
	ctx := context.Background()
	if _, err := s.ex.AddAgency(ctx, exchange.Agency{ID: id, Name: "Agency " + id, Kind: "carrier"}); err != nil {
		s.t.Fatal(err)
	}
	pub, err := s.key.Public().MarshalJSON()
	if err != nil {
		s.t.Fatal(err)
	}
	client := id + "-sys"
	if _, err := s.ex.AddClient(ctx, exchange.Client{ID: client, Agency: id, Name: "system",
		JWKS: exchange.JSONWebKeySet{Keys: []json.RawMessage{pub}}}); err != nil {
		s.t.Fatal(err)
	}
	if g.Purpose != "" {
		g.Agency, g.LegalBasis = id, "Decree 163/2024, art. 17"
		if _, err := s.ex.SetGrant(ctx, g); err != nil {
			s.t.Fatal(err)
		}
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), "k1"))
	if err != nil {
		s.t.Fatal(err)
	}
	now := time.Now()
	a, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: client, Subject: client,
		Audience: jwt.Audience{testIssuer + exchange.TokenPath}, IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: rand.Text()}).Serialize()
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.PostForm(s.ts.URL+exchange.TokenPath, url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {exchange.AssertionType}, "client_assertion": {a}})
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("token: %d %v", resp.StatusCode, body)
	}
	return body["access_token"].(string)
}

// do sends a request and returns the status, headers and body.
func (s *server) do(method, path, token, contentType string, body io.Reader) (int, http.Header, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (s *server) verify(token, purpose string, body map[string]any) (int, DemographicResult, string) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	status, _, out := s.do("POST", demographicPath+"?purpose="+purpose, token, "application/json", strings.NewReader(string(b)))
	var r DemographicResult
	if status == 200 {
		if err := json.Unmarshal(out, &r); err != nil {
			s.t.Fatal(err)
		}
	}
	return status, r, string(out)
}

const kyc = "telecom.subscriber-kyc"

func TestHandler_demographic(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, st, nil, 0)
			tok := s.agency("viettel", exchange.Grant{Purpose: kyc, DemographicCheck: true})
			m, n := "match", "no_match"
			for _, tc := range []struct {
				name   string
				body   map[string]any
				result string
				attrs  map[string]string
				status string
			}{
				{"all match", map[string]any{"pin": personAn.PIN, "full_name": "nguyễn  văn AN", "birth_date": "1990-05-17", "sex": "male"},
					m, map[string]string{"full_name": m, "birth_date": m, "sex": m}, "alive"},
				{"decomposed and upper case", map[string]any{"pin": personAn.PIN, "full_name": "NGUYE\u0302\u0303N VA\u0306N AN"},
					m, map[string]string{"full_name": m}, "alive"},
				{"old tone placement", map[string]any{"pin": personHoa.PIN, "full_name": "Trần Thị Hòa"}, m, map[string]string{"full_name": m}, "dead"},
				{"dropped diacritics are another name", map[string]any{"pin": personHoa.PIN, "full_name": "Tran Thi Hoa"}, n, map[string]string{"full_name": n}, ""},
				{"partial record date", map[string]any{"pin": personHoa.PIN, "birth_date": "1985-07-09"}, m, map[string]string{"birth_date": m}, "dead"},
				{"partial submitted date", map[string]any{"pin": personAn.PIN, "birth_date": "1990-05"}, m, map[string]string{"birth_date": m}, "alive"},
				{"wrong day", map[string]any{"pin": personAn.PIN, "birth_date": "1990-05-18", "sex": "male"}, n,
					map[string]string{"birth_date": n, "sex": m}, ""},
				{"phone, international form", map[string]any{"pin": personAn.PIN, "phone": "+84 901 234 567"}, m, map[string]string{"phone": m}, "alive"},
				{"address with commune and province", map[string]any{"pin": personAn.PIN, "address": "12 Lê Lợi"},
					m, map[string]string{"address": m}, "alive"},
				{"another address", map[string]any{"pin": personAn.PIN, "address": "14 Lê Lợi"}, n, map[string]string{"address": n}, ""},
				{"old ID number", map[string]any{"pin": personAn.PIN, "document_number": "025123456"}, m, map[string]string{"document_number": m}, "alive"},
			} {
				status, got, body := s.verify(tok, kyc, tc.body)
				if status != 200 || got.Result != tc.result || !maps.Equal(got.Attributes, tc.attrs) || got.Status != tc.status || got.Strategy != "exact" {
					t.Errorf("%s: %d %s", tc.name, status, body)
				}
				for _, v := range []string{"Nguyễn", "1985", "0901234567", "Lê Lợi"} {
					if strings.Contains(body, v) {
						t.Errorf("%s: the answer holds a registry value: %s", tc.name, body)
					}
				}
			}
			acc := s.rec.Take()
			if len(acc) != 11 {
				t.Fatalf("recorded %d accesses, want one per call", len(acc))
			}
			if a := acc[0]; a.Action != "verify" || a.Agency != "viettel" || a.Actor != "viettel-sys" || a.PIN != personAn.PIN ||
				strings.Join(a.Fields, ",") != "status,full_name,birth_date,sex" {
				t.Errorf("access = %+v", a)
			}
		})
	}
}

// TestHandler_demographic_noOracle checks that an agency that may not read
// people cannot tell a PIN no one holds from a person's: the answers to
// every probe are alike, consistent, and recorded.
func TestHandler_demographic_noOracle(t *testing.T) {
	st := backends(t)["sqlite"]
	s := newServer(t, st, nil, 0)
	checkOnly := s.agency("viettel", exchange.Grant{Purpose: kyc, DemographicCheck: true})
	reader := s.agency("vss", exchange.Grant{Purpose: kyc, DemographicCheck: true, Fields: []string{"full_name"}})
	unknown := "079090999123" // male, born 1990, like An
	probe := func(tok, p string, body map[string]any) (int, DemographicResult) {
		body["pin"] = p
		status, r, _ := s.verify(tok, kyc, body)
		return status, r
	}
	for _, body := range []map[string]any{
		{"sex": "male"}, {"sex": "female"}, {"birth_date": "1990"}, {"birth_date": "1991"},
		{"full_name": "Nguyễn Văn An"}, {"phone": "0901234567"},
	} {
		s1, known := probe(checkOnly, personAn.PIN, maps.Clone(body))
		s2, ghost := probe(checkOnly, unknown, maps.Clone(body))
		if s1 != 200 || s2 != 200 {
			t.Fatalf("%v: statuses %d, %d; want 200 for both", body, s1, s2)
		}
		if (known.Status == "") != (known.Result == "no_match") || (ghost.Status == "") != (ghost.Result == "no_match") {
			t.Errorf("%v: status released without a match, or withheld with one: %+v %+v", body, known, ghost)
		}
		_, sex := body["sex"]
		_, birth := body["birth_date"]
		if (sex || birth) && fmt.Sprint(known) != fmt.Sprint(ghost) {
			t.Errorf("%v: a known PIN answers %+v, an unknown one %+v", body, known, ghost)
		}
	}
	// The stand-in's day and month of birth are fixed: exactly one month
	// of the twelve agrees, every time.
	months := 0
	for mo := 1; mo <= 12; mo++ {
		_, a := probe(checkOnly, unknown, map[string]any{"birth_date": fmt.Sprintf("1990-%02d", mo)})
		_, b := probe(checkOnly, unknown, map[string]any{"birth_date": fmt.Sprintf("1990-%02d", mo)})
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("month %d: the stand-in answered %+v, then %+v", mo, a, b)
		}
		if a.Result == "match" {
			months++
		}
	}
	if months != 1 {
		t.Errorf("%d months of birth agree for an unknown PIN, want 1", months)
	}
	// An agency that reads people by PIN learns nothing new from a 404.
	if status, _ := probe(reader, unknown, map[string]any{"sex": "male"}); status != 404 {
		t.Errorf("reader agency, unknown PIN: %d, want 404", status)
	}
	if status, r := probe(reader, personAn.PIN, map[string]any{"sex": "female"}); status != 200 || r.Status != "alive" {
		t.Errorf("reader agency: %d %+v; want the status with no match", status, r)
	}
	for _, a := range s.rec.All() {
		if a.PIN == "" {
			t.Errorf("an access without its PIN: %+v", a)
		}
	}
}

func TestHandler_demographic_refusals(t *testing.T) {
	st := backends(t)["sqlite"]
	s := newServer(t, st, nil, 0)
	tok := s.agency("viettel", exchange.Grant{Purpose: kyc, DemographicCheck: true})
	noCheck := s.agency("mobifone", exchange.Grant{Purpose: kyc, Fields: []string{"full_name"}})
	for _, tc := range []struct {
		name    string
		token   string
		purpose string
		body    map[string]any
		status  int
	}{
		{"admin token", adminToken, kyc, map[string]any{"pin": personAn.PIN, "sex": "male"}, 403},
		{"no purpose", tok, "", map[string]any{"pin": personAn.PIN, "sex": "male"}, 400},
		{"no grant for the purpose", tok, "banking.kyc", map[string]any{"pin": personAn.PIN, "sex": "male"}, 403},
		{"grant without checks", noCheck, kyc, map[string]any{"pin": personAn.PIN, "sex": "male"}, 403},
		{"partial not granted", tok, kyc, map[string]any{"pin": personAn.PIN, "sex": "male", "strategy": "partial"}, 403},
		{"nothing claimed", tok, kyc, map[string]any{"pin": personAn.PIN}, 400},
		{"bad pin", tok, kyc, map[string]any{"pin": "079090000120x", "sex": "male"}, 422},
		{"pin with a bad province", tok, kyc, map[string]any{"pin": "999090000123", "sex": "male"}, 400},
		{"bad date", tok, kyc, map[string]any{"pin": personAn.PIN, "birth_date": "1990-02-30"}, 400},
		{"bad strategy", tok, kyc, map[string]any{"pin": personAn.PIN, "sex": "male", "strategy": "fuzzy"}, 422},
	} {
		status, _, body := s.verify(tc.token, tc.purpose, tc.body)
		if status != tc.status {
			t.Errorf("%s: %d %s; want %d", tc.name, status, body, tc.status)
		}
		if strings.Contains(body, personAn.PIN) {
			t.Errorf("%s: the error echoes the PIN: %s", tc.name, body)
		}
	}
	if n := len(s.rec.All()); n != 0 {
		t.Errorf("%d accesses recorded for refused calls", n)
	}
	s.rec.Fail(fmt.Errorf("disk full"))
	if status, _, _ := s.verify(tok, kyc, map[string]any{"pin": personAn.PIN, "sex": "male"}); status != 503 {
		t.Errorf("access log down: %d, want 503", status)
	}
}

// fixedScorer scores every attribute alike (a stand-in for the comparators
// where only the quota and the wiring are under test).
type fixedScorer struct{ score int }

func (f fixedScorer) Score(c *Claim, _ *Record) (int, map[string]int) {
	m := map[string]int{}
	for _, a := range c.Claimed() {
		m[a] = f.score
	}
	return f.score, m
}

func (fixedScorer) DefaultMatchValue() int { return 90 }

func TestHandler_demographic_partialQuota(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, st, fixedScorer{score: 80}, 0)
			tok := s.agency("viettel", exchange.Grant{Purpose: kyc, DemographicCheck: true,
				MatchStrategies: []string{"exact", "partial"}, PartialDailyLimit: 3})
			body := map[string]any{"pin": personAn.PIN, "full_name": "Nguyen Van An", "strategy": "partial"}
			status, r, out := s.verify(tok, kyc, body)
			if status != 200 || r.Result != "no_match" || r.MatchValue != 90 || r.Strategy != "partial" {
				t.Fatalf("default match value: %d %s", status, out)
			}
			body["match_value"] = 75
			if status, r, out = s.verify(tok, kyc, body); status != 200 || r.Result != "match" || r.Attributes["full_name"] != "match" {
				t.Fatalf("match value 75: %d %s", status, out)
			}
			if status, _, _ = s.verify(tok, kyc, body); status != 200 {
				t.Fatalf("third call: %d", status)
			}
			if status, _, out = s.verify(tok, kyc, body); status != 429 {
				t.Fatalf("fourth call over a quota of 3: %d %s", status, out)
			}
			// exact calls are not counted
			if status, _, _ = s.verify(tok, kyc, map[string]any{"pin": personAn.PIN, "sex": "male"}); status != 200 {
				t.Errorf("exact after the partial quota: %d", status)
			}
			acc := s.rec.All()
			if len(acc) != 4 || acc[0].Action != "verify-partial" || acc[3].Action != "verify" {
				t.Errorf("accesses: %d, first %q, last %q; want partial calls logged as verify-partial", len(acc), acc[0].Action, acc[len(acc)-1].Action)
			}
		})
	}
}

func TestHandler_jobs(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, st, nil, 4096)
			tok := s.agency("viettel", exchange.Grant{Purpose: "telecom.subscribers", BulkVerification: true})
			other := s.agency("mobifone", exchange.Grant{Purpose: "telecom.subscribers", BulkVerification: true})
			noBulk := s.agency("vnpt", exchange.Grant{Purpose: "telecom.subscribers", DemographicCheck: true})
			file := "phone,pin,full_name,birth_date,sex,address\n" +
				"0901234567,079090000123,Nguyễn Văn An,17/05/1990,Nam,\n" +
				"0901234568,079090000123,Nguyễn Văn Anh,1990-05-17,male,12 Lê Lợi\n" +
				"0901234569,001185000456,Trần Thị Hoà,1985,female,\n" +
				"0901234570,bad,X,1990,male,\n"
			path := jobsPath + "?purpose=telecom.subscribers"
			empty := func() {
				t.Helper()
				if left, _ := os.ReadDir(s.jobs.opts.Dir); len(left) != 0 {
					t.Errorf("files stored for a refused upload: %v", left)
				}
			}
			for _, tc := range []struct {
				name, token, path, ctype, body string
				status                         int
			}{
				{"no bulk grant", noBulk, path, "text/csv", file, 403},
				{"no grant for the purpose", tok, jobsPath + "?purpose=other", "text/csv", file, 403},
				{"not a list", tok, path, "text/csv", "hello, world\n", 422},
				{"a spreadsheet", tok, path, "", "PK\x03\x04....", 422},
				{"too large", tok, path, "text/csv", file + strings.Repeat("0901234570,bad,X,1990,male,\n", 200), 413},
				{"media type", tok, path, "image/png", file, 415},
			} {
				status, _, body := s.do("POST", tc.path, tc.token, tc.ctype, strings.NewReader(tc.body))
				if status != tc.status {
					t.Errorf("%s: %d %s; want %d", tc.name, status, body, tc.status)
				}
				empty()
			}
			status, hdr, body := s.do("POST", path, tok, "text/csv", strings.NewReader(file))
			if status != 202 {
				t.Fatalf("upload: %d %s", status, body)
			}
			var v JobView
			json.Unmarshal(body, &v)
			if v.State != StateQueued || v.Format != "csv" || hdr.Get("Location") != jobsPath+"/"+v.ID {
				t.Errorf("created: %s (Location %s)", body, hdr.Get("Location"))
			}
			if status, _, _ := s.do("GET", jobsPath+"/"+v.ID+"/result", tok, "", nil); status != 409 {
				t.Errorf("result before the job ran: %d, want 409", status)
			}
			if err := s.jobs.RunPending(context.Background()); err != nil {
				t.Fatal(err)
			}
			status, _, body = s.do("GET", jobsPath+"/"+v.ID, tok, "", nil)
			json.Unmarshal(body, &v)
			if status != 200 || v.State != StateDone || v.Progress != 1 || v.Summary.Lines != 4 || v.Summary.Match != 1 ||
				v.Summary.Mismatch != 1 || v.Summary.Deceased != 1 || v.Summary.InvalidPIN != 1 {
				t.Errorf("job: %d %s", status, body)
			}
			status, hdr, body = s.do("GET", v.ResultURL, tok, "", nil)
			want := resultHeader + "2,0901234567,MATCH,,\n3,0901234568,MISMATCH,full_name,\n4,0901234569,DECEASED,,\n5,0901234570,INVALID_PIN,,\n"
			if status != 200 || string(body) != want || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
				t.Errorf("result: %d %s\n%q", status, hdr.Get("Content-Type"), body)
			}
			for _, p := range []string{jobsPath + "/" + v.ID, v.ResultURL} {
				if status, _, _ := s.do("GET", p, other, "", nil); status != 404 {
					t.Errorf("another agency reads %s: %d, want 404", p, status)
				}
			}
			status, _, body = s.do("GET", jobsPath, tok, "", nil)
			if status != 200 || !strings.Contains(string(body), v.ID) {
				t.Errorf("list: %d %s", status, body)
			}
			if _, _, body = s.do("GET", jobsPath, other, "", nil); strings.Contains(string(body), v.ID) {
				t.Errorf("another agency lists the job: %s", body)
			}

			// Cancel: a finished job is 409; a queued one is cancelled by
			// its agency only, and then has no result.
			if status, _, body := s.do("POST", jobsPath+"/"+v.ID+"/cancel", tok, "", nil); status != 409 {
				t.Errorf("cancel a done job: %d %s, want 409", status, body)
			}
			_, _, body = s.do("POST", path, tok, "text/csv", strings.NewReader(file))
			var q JobView
			json.Unmarshal(body, &q)
			if status, _, _ := s.do("POST", jobsPath+"/"+q.ID+"/cancel", other, "", nil); status != 404 {
				t.Errorf("another agency cancels: %d, want 404", status)
			}
			status, _, body = s.do("POST", jobsPath+"/"+q.ID+"/cancel", tok, "", nil)
			json.Unmarshal(body, &q)
			if status != 200 || q.State != StateCancelled || q.ResultURL != "" || q.FinishedAt == nil {
				t.Errorf("cancel: %d %s", status, body)
			}
		})
	}
}

func TestHandler_demographic_partial(t *testing.T) {
	st := backends(t)["sqlite"]
	s := newServer(t, st, Comparators{}, 0)
	tok := s.agency("bank", exchange.Grant{Purpose: kyc, DemographicCheck: true, MatchStrategies: []string{"partial"}})
	for _, tc := range []struct {
		name   string
		body   map[string]any
		result string
		attrs  map[string]string
	}{
		{"dropped diacritics", map[string]any{"full_name": "Nguyen Van An", "birth_date": "1990-05-17", "sex": "male"}, "match",
			map[string]string{"full_name": "match", "birth_date": "match", "sex": "match"}},
		{"typing error, day and month swapped", map[string]any{"full_name": "Nguyễn Văn Ann", "birth_date": "1990-17-05"}, "", nil},
		{"another person", map[string]any{"full_name": "Trần Thị Hoà", "birth_date": "1985", "sex": "female"}, "no_match", nil},
		{"another sex caps the score", map[string]any{"full_name": "Nguyễn Văn An", "birth_date": "1990-05-17", "sex": "female"}, "no_match", nil},
		{"address by codes", map[string]any{"full_name": "Nguyễn Văn An", "province": "79", "commune": "26734"}, "match", nil},
		{"wrong document", map[string]any{"full_name": "Nguyễn Văn An", "document_number": "999999999"}, "no_match",
			map[string]string{"full_name": "match", "document_number": "no_match"}},
	} {
		tc.body["pin"] = personAn.PIN
		tc.body["strategy"] = "partial"
		status, r, out := s.verify(tok, kyc, tc.body)
		if tc.result == "" { // an invalid date is refused before matching
			if status != 400 && status != 422 {
				t.Errorf("%s: %d %s", tc.name, status, out)
			}
			continue
		}
		if status != 200 || r.Result != tc.result || r.MatchValue != 80 || tc.attrs != nil && !maps.Equal(r.Attributes, tc.attrs) {
			t.Errorf("%s: %d %s", tc.name, status, out)
		}
	}
	if status, _, _ := s.verify(tok, kyc, map[string]any{"pin": personAn.PIN, "sex": "male"}); status != 403 {
		t.Errorf("exact with a partial-only grant: %d, want 403", status)
	}
}
