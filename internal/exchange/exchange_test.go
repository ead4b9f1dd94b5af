package exchange_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

const enrolment = "social-insurance.enrolment"

var enrolmentGrant = exchange.Grant{Purpose: enrolment, Fields: []string{"full_name", "birth_date", "sex"}, DemographicCheck: true}

func sortedKeys(m map[string]json.RawMessage) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestEndToEnd is the whole flow a connected agency goes through: it is
// registered, its client gets a token with a signed assertion, and a lookup
// returns only the granted fields and is recorded.
func TestEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open(t))
		k := newKey(t, "k1")
		e.setup("vss", "vss-enrol", k, enrolmentGrant)
		tok := e.token("vss-enrol", k)

		status, body := e.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose="+enrolment, tok, nil, "X-Case-Reference", "HS-2026-001")
		if status != http.StatusOK {
			t.Fatalf("lookup: %d %s", status, body)
		}
		got := keysOf(t, body)
		if want := []string{"birth_date", "full_name", "pin", "sex", "status"}; !slices.Equal(sortedKeys(got), want) {
			t.Errorf("released fields = %v, want %v", sortedKeys(got), want)
		}
		if string(got["full_name"]) != `"Nguyễn Văn An"` || string(got["status"]) != `{"state":"alive"}` {
			t.Errorf("body = %s", body)
		}
		acc := e.rec.Take()
		if len(acc) != 1 {
			t.Fatalf("recorded %d accesses, want 1", len(acc))
		}
		a := acc[0]
		if a.ActorKind != "client" || a.Actor != "vss-enrol" || a.Agency != "vss" || a.Purpose != enrolment ||
			a.CaseRef != "HS-2026-001" || a.PIN != personAn.PIN || a.Action != "read" || a.RequestID == "" {
			t.Errorf("access = %+v", a)
		}
		if want := []string{"status", "birth_date", "full_name", "sex"}; !slices.Equal(a.Fields, want) {
			t.Errorf("access fields = %v, want %v", a.Fields, want)
		}

		// The purpose may come as a header; fields narrow the answer.
		status, body = e.do("GET", "/v1/citizens/"+personHoa.PIN+"?fields=full_name", tok, nil, "X-Purpose", enrolment)
		if status != http.StatusOK {
			t.Fatalf("lookup with header: %d %s", status, body)
		}
		got = keysOf(t, body)
		if want := []string{"full_name", "pin", "status"}; !slices.Equal(sortedKeys(got), want) {
			t.Errorf("narrowed fields = %v, want %v", sortedKeys(got), want)
		}
		if !strings.Contains(string(got["status"]), `"dead"`) {
			t.Errorf("status = %s, want dead", got["status"])
		}

		tests := []struct {
			name, path string
			want       int
		}{
			{"missing purpose", "/v1/citizens/" + personAn.PIN, http.StatusBadRequest},
			{"field outside grant", "/v1/citizens/" + personAn.PIN + "?purpose=" + enrolment + "&fields=full_name,phone", http.StatusForbidden},
			{"unknown field", "/v1/citizens/" + personAn.PIN + "?purpose=" + enrolment + "&fields=shoe_size", http.StatusBadRequest},
			{"purpose not granted", "/v1/citizens/" + personAn.PIN + "?purpose=tax.audit", http.StatusForbidden},
			{"unknown person", "/v1/citizens/079090999999?purpose=" + enrolment, http.StatusNotFound},
			{"as_of", "/v1/citizens/" + personAn.PIN + "?purpose=" + enrolment + "&as_of=2021-01-01", http.StatusBadRequest},
			{"history is for officers", "/v1/citizens/" + personAn.PIN + "/history?purpose=" + enrolment, http.StatusForbidden},
			{"search is for officers", "/v1/citizens?name=nguyen&purpose=" + enrolment, http.StatusForbidden},
			{"admin API", "/v1/admin/agencies", http.StatusForbidden},
		}
		for _, tc := range tests {
			status, body := e.do("GET", tc.path, tok, nil)
			if status != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
			}
			if strings.Contains(string(body), "Nguyễn") || strings.Contains(string(body), "0901234567") {
				t.Errorf("%s: error body leaks personal data: %s", tc.name, body)
			}
		}
		if acc := e.rec.Take(); len(acc) != 1 { // only the header lookup above
			t.Errorf("recorded %d accesses for refused requests, want only the successful one", len(acc))
		}

		// A failing access log releases nothing.
		e.rec.Fail(errors.New("log unavailable"))
		status, body = e.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose="+enrolment, tok, nil)
		if status != http.StatusServiceUnavailable || strings.Contains(string(body), "Nguyễn") {
			t.Errorf("with the log down: %d %s, want 503 without data", status, body)
		}
		e.rec.Fail(nil)
	})
}

// TestToken_refusals covers the client assertions RFC 7523 says to refuse,
// each with an RFC 6749 error body (never problem+json).
func TestToken_refusals(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	k := newKey(t, "k1")
	other := newKey(t, "k1") // same kid, another key
	e.setup("vss", "vss-enrol", k, enrolmentGrant)
	e.setup("vss", "vss-off", k, exchange.Grant{})
	if _, err := e.svc.SetClientStatus(context.Background(), "vss-off", exchange.Disabled); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	with := func(f func(*jwt.Claims)) string {
		c := claims("vss-enrol")
		f(&c)
		return assertion(t, k, c)
	}
	replayed := assertion(t, k, claims("vss-enrol"))
	if status, body, _ := e.tokenForm(assertionForm(replayed)); status != http.StatusOK {
		t.Fatalf("first use: %d %v", status, body)
	}
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	hsTok, _ := jwt.Signed(hs).Claims(claims("vss-enrol")).Serialize()
	noneTok := "eyJhbGciOiJub25lIn0." + strings.Split(hsTok, ".")[1] + "."

	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"missing assertion", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"wrong assertion type", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"x"}, "client_assertion": {replayed}}, 401, "invalid_client"},
		{"missing grant type", url.Values{"client_assertion": {replayed}}, 400, "invalid_request"},
		{"other grant type", url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		{"replayed", assertionForm(replayed), 401, "invalid_client"},
		{"expired", assertionForm(with(func(c *jwt.Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-3 * time.Minute))
			c.Expiry = jwt.NewNumericDate(now.Add(-2 * time.Minute))
		})), 401, "invalid_client"},
		{"no exp", assertionForm(with(func(c *jwt.Claims) { c.Expiry = nil })), 401, "invalid_client"},
		{"exp too far", assertionForm(with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(time.Hour)) })), 401, "invalid_client"},
		{"nbf in future", assertionForm(with(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(2 * time.Minute)) })), 401, "invalid_client"},
		{"iat in future", assertionForm(with(func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(2 * time.Minute)) })), 401, "invalid_client"},
		{"wrong audience", assertionForm(with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.test/v1/oauth/token"} })), 401, "invalid_client"},
		{"issuer as audience", assertionForm(with(func(c *jwt.Claims) { c.Audience = jwt.Audience{issuer} })), 401, "invalid_client"},
		{"no jti", assertionForm(with(func(c *jwt.Claims) { c.ID = "" })), 401, "invalid_client"},
		{"iss differs from sub", assertionForm(with(func(c *jwt.Claims) { c.Subject = "someone" })), 401, "invalid_client"},
		{"unknown client", assertionForm(assertion(t, k, claims("nobody"))), 401, "invalid_client"},
		{"disabled client", assertionForm(assertion(t, k, claims("vss-off"))), 401, "invalid_client"},
		{"wrong key", assertionForm(assertion(t, other, claims("vss-enrol"))), 401, "invalid_client"},
		{"HS256", assertionForm(hsTok), 401, "invalid_client"},
		{"alg none", assertionForm(noneTok), 401, "invalid_client"},
		{"garbage", assertionForm("not.a.jwt"), 401, "invalid_client"},
		{"client_id mismatch", func() url.Values {
			f := assertionForm(assertion(t, k, claims("vss-enrol")))
			f.Set("client_id", "vss-off")
			return f
		}(), 401, "invalid_client"},
		{"scope not granted", func() url.Values {
			f := assertionForm(assertion(t, k, claims("vss-enrol")))
			f.Set("scope", "tax.audit")
			return f
		}(), 400, "invalid_scope"},
	}
	for _, tc := range tests {
		status, body, hdr := e.tokenForm(tc.form)
		if status != tc.status || body["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", tc.name, ct)
		}
		if hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tc.name, hdr.Get("Cache-Control"))
		}
	}

	// GET is refused with an OAuth body too.
	resp, err := http.Get(e.ts.URL + exchange.TokenPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET token endpoint: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A granted scope is echoed.
	f := assertionForm(assertion(t, k, claims("vss-enrol")))
	f.Set("scope", enrolment)
	if status, body, _ := e.tokenForm(f); status != 200 || body["scope"] != enrolment || body["token_type"] != "Bearer" || body["expires_in"] != float64(300) {
		t.Errorf("scoped token: %d %v", status, body)
	}
}

// TestToken_replayAcrossProcesses uses one assertion on two servers sharing
// one database, as two dancu processes behind a load balancer would be.
func TestToken_replayAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		e1 := newEnv(t, st)
		k := newKey(t, "k1")
		e1.setup("vss", "vss-enrol", k, enrolmentGrant)
		// The second server is a second Service over the same database;
		// its signing key is the one the first stored.
		e2 := newEnvNoPeople(t, st)
		a := assertion(t, k, claims("vss-enrol"))
		if status, body, _ := e1.tokenForm(assertionForm(a)); status != 200 {
			t.Fatalf("first use: %d %v", status, body)
		}
		status, body, _ := e2.tokenForm(assertionForm(a))
		if status != 401 || body["error"] != "invalid_client" {
			t.Errorf("replay on the other process: %d %v, want 401 invalid_client", status, body)
		}
		// A token from one process works on the other.
		tok := e1.token("vss-enrol", k)
		if status, b := e2.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose="+enrolment, tok, nil); status != 200 {
			t.Errorf("token of process 1 on process 2: %d %s", status, b)
		}
	})
}

// TestIsolation shows that one agency never gets another's rights, and
// that disabling a client or agency stops its tokens at once.
func TestIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open(t))
		ka, kb := newKey(t, "a1"), newKey(t, "b1")
		e.setup("vss", "vss-app", ka, enrolmentGrant)
		e.setup("bank", "bank-app", kb, exchange.Grant{Purpose: "bank.kyc", Fields: []string{"full_name", "phone", "email", "permanent_residence"}})
		ta, tb := e.token("vss-app", ka), e.token("bank-app", kb)

		tests := []struct {
			name, tok, path string
			want            int
			wantKeys        []string
		}{
			{"A with A's purpose", ta, "?purpose=" + enrolment, 200, []string{"birth_date", "full_name", "pin", "sex", "status"}},
			{"B with B's purpose", tb, "?purpose=bank.kyc", 200, []string{"email", "full_name", "permanent_residence", "phone", "pin", "status"}},
			{"A with B's purpose", ta, "?purpose=bank.kyc", 403, nil},
			{"B with A's purpose", tb, "?purpose=" + enrolment, 403, nil},
			{"A asks for B's field", ta, "?purpose=" + enrolment + "&fields=phone", 403, nil},
			{"B asks for A's field", tb, "?purpose=bank.kyc&fields=birth_date", 403, nil},
		}
		for _, tc := range tests {
			status, body := e.do("GET", "/v1/citizens/"+personAn.PIN+tc.path, tc.tok, nil)
			if status != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
				continue
			}
			if tc.wantKeys != nil && !slices.Equal(sortedKeys(keysOf(t, body)), tc.wantKeys) {
				t.Errorf("%s: fields %v, want %v", tc.name, sortedKeys(keysOf(t, body)), tc.wantKeys)
			}
		}
		// The batch and check endpoints apply the same rules.
		if status, _ := e.do("POST", "/v1/citizens/batch?purpose=bank.kyc", ta, map[string]any{"pins": []string{personAn.PIN}}); status != 403 {
			t.Errorf("A's batch with B's purpose: %d, want 403", status)
		}
		if status, _ := e.do("POST", "/v1/citizens/"+personAn.PIN+"/check?purpose=bank.kyc", tb, map[string]any{"sex": "male"}); status != 403 {
			t.Errorf("B's check without a check grant: %d, want 403", status)
		}
		if status, _ := e.do("POST", "/v1/citizens/"+personAn.PIN+"/check?purpose=bank.kyc", ta, map[string]any{"sex": "male"}); status != 403 {
			t.Errorf("A's check with B's purpose: %d, want 403", status)
		}

		// Disable A's client: its token stops at once; B is untouched.
		if status, b := e.do("PUT", "/v1/admin/clients/vss-app/status", adminToken, map[string]string{"status": "disabled"}); status != 200 {
			t.Fatalf("disable: %d %s", status, b)
		}
		if status, _ := e.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose="+enrolment, ta, nil); status != 401 {
			t.Errorf("disabled client's token: %d, want 401", status)
		}
		if status, _ := e.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose=bank.kyc", tb, nil); status != 200 {
			t.Errorf("other agency after the disable: %d, want 200", status)
		}
		// Disable B's agency: its client's token stops too.
		if status, b := e.do("PUT", "/v1/admin/agencies/bank/status", adminToken, map[string]string{"status": "disabled"}); status != 200 {
			t.Fatalf("disable agency: %d %s", status, b)
		}
		if status, _ := e.do("GET", "/v1/citizens/"+personAn.PIN+"?purpose=bank.kyc", tb, nil); status != 401 {
			t.Errorf("disabled agency's token: %d, want 401", status)
		}
	})
}

func TestBatch(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	k := newKey(t, "k1")
	e.setup("vss", "vss-enrol", k, enrolmentGrant)
	tok := e.token("vss-enrol", k)
	pins := []string{personAn.PIN, "079090999999", "not-a-pin-at-all", personHoa.PIN, personAn.PIN, "999090000123"}
	status, body := e.do("POST", "/v1/citizens/batch?purpose="+enrolment+"&fields=sex", tok, map[string]any{"pins": pins})
	if status != 200 {
		t.Fatalf("batch: %d %s", status, body)
	}
	var out struct {
		Results []struct {
			PIN    string                     `json:"pin"`
			Result string                     `json:"result"`
			Record map[string]json.RawMessage `json:"record"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{"found", "not_found", "invalid", "found", "found", "invalid"}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, r := range out.Results {
		if r.Result != want[i] {
			t.Errorf("result %d = %s, want %s", i, r.Result, want[i])
		}
		if r.Result == "found" && !slices.Equal(sortedKeys(r.Record), []string{"pin", "sex", "status"}) {
			t.Errorf("result %d fields = %v", i, sortedKeys(r.Record))
		}
		if r.Result != "found" && r.Record != nil {
			t.Errorf("result %d has a record", i)
		}
	}
	if out.Results[2].PIN != "" {
		t.Errorf("an invalid value that is not PIN-shaped was echoed")
	}
	acc := e.rec.Take()
	var got []string
	for _, a := range acc {
		got = append(got, a.PIN)
	}
	if !slices.Equal(got, []string{personAn.PIN, personHoa.PIN}) {
		t.Errorf("recorded %v, want one access per person returned", got)
	}
	tooMany := make([]string, exchange.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = personAn.PIN
	}
	if status, _ := e.do("POST", "/v1/citizens/batch?purpose="+enrolment, tok, map[string]any{"pins": tooMany}); status/100 != 4 {
		t.Errorf("batch over the limit: %d, want 4xx", status)
	}
	if status, _ := e.do("POST", "/v1/citizens/batch", tok, map[string]any{"pins": pins}); status != 400 {
		t.Errorf("batch without purpose: %d, want 400", status)
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	k := newKey(t, "k1")
	e.setup("vss", "vss-enrol", k, enrolmentGrant)
	tok := e.token("vss-enrol", k)
	tests := []struct {
		name  string
		pin   string
		body  map[string]string
		match bool
		attrs map[string]bool
		state string
	}{
		{"all match", personAn.PIN, map[string]string{"full_name": "nguyễn  văn AN", "birth_date": "1990-05-17", "sex": "male"}, true,
			map[string]bool{"full_name": true, "birth_date": true, "sex": true}, "alive"},
		{"old tone placement", personHoa.PIN, map[string]string{"full_name": "Trần Thị Hòa"}, true, map[string]bool{"full_name": true}, "dead"},
		{"no diacritics is another name", personHoa.PIN, map[string]string{"full_name": "Tran Thi Hoa"}, false, map[string]bool{"full_name": false}, "dead"},
		{"partial record date", personHoa.PIN, map[string]string{"birth_date": "1985-07-09"}, true, map[string]bool{"birth_date": true}, "dead"},
		{"partial submitted date", personAn.PIN, map[string]string{"birth_date": "1990-05"}, true, map[string]bool{"birth_date": true}, "alive"},
		{"wrong day", personAn.PIN, map[string]string{"birth_date": "1990-05-18", "sex": "male"}, false, map[string]bool{"birth_date": false, "sex": true}, "alive"},
	}
	for _, tc := range tests {
		status, body := e.do("POST", "/v1/citizens/"+tc.pin+"/check?purpose="+enrolment, tok, tc.body)
		if status != 200 {
			t.Errorf("%s: %d %s", tc.name, status, body)
			continue
		}
		var got struct {
			Match      bool            `json:"match"`
			Attributes map[string]bool `json:"attributes"`
			Status     string          `json:"status"`
		}
		json.Unmarshal(body, &got)
		if got.Match != tc.match || !maps.Equal(got.Attributes, tc.attrs) || got.Status != tc.state {
			t.Errorf("%s: %s", tc.name, body)
		}
		if strings.Contains(string(body), "Nguyễn") || strings.Contains(string(body), "1985") {
			t.Errorf("%s: the answer holds registry values: %s", tc.name, body)
		}
	}
	if acc := e.rec.Take(); len(acc) != len(tests) || acc[0].Action != "verify" {
		t.Errorf("recorded %d accesses, want %d verifications", len(acc), len(tests))
	}
	if status, _ := e.do("POST", "/v1/citizens/"+personAn.PIN+"/check?purpose="+enrolment, tok, map[string]string{}); status != 400 {
		t.Errorf("empty check: %d, want 400", status)
	}
	if status, _ := e.do("POST", "/v1/citizens/079090999999/check?purpose="+enrolment, tok, map[string]string{"sex": "male"}); status != 404 {
		t.Errorf("check of an unknown PIN: %d, want 404", status)
	}
}

// TestKeyRotation publishes two keys at once, then drops the old one.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	old, next := newKey(t, "2025"), newKey(t, "2026")
	e.setup("vss", "vss-enrol", old, enrolmentGrant)
	if status, b := e.do("PUT", "/v1/admin/clients/vss-enrol/jwks", adminToken, jwksOf(t, old, next)); status != 200 {
		t.Fatalf("publish both keys: %d %s", status, b)
	}
	e.token("vss-enrol", old)
	e.token("vss-enrol", next)
	if status, b := e.do("PUT", "/v1/admin/clients/vss-enrol/jwks", adminToken, jwksOf(t, next)); status != 200 {
		t.Fatalf("drop the old key: %d %s", status, b)
	}
	if status, body, _ := e.tokenForm(assertionForm(assertion(t, old, claims("vss-enrol")))); status != 401 {
		t.Errorf("old key after rotation: %d %v, want 401", status, body)
	}
	e.token("vss-enrol", next)
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	k := newKey(t, "k1")
	steps := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"add agency", "POST", "/v1/admin/agencies", map[string]string{"id": "vss", "name": "Bảo hiểm xã hội Việt Nam", "kind": "insurer"}, 201},
		{"add agency twice", "POST", "/v1/admin/agencies", map[string]string{"id": "vss", "name": "x", "kind": "insurer"}, 409},
		{"bad agency id", "POST", "/v1/admin/agencies", map[string]string{"id": "VSS!", "name": "x", "kind": "insurer"}, 422},
		{"get agency", "GET", "/v1/admin/agencies/vss", nil, 200},
		{"missing agency", "GET", "/v1/admin/agencies/none", nil, 404},
		{"add client", "POST", "/v1/admin/clients", map[string]any{"client_id": "vss-app", "agency": "vss", "name": "enrolment", "jwks": jwksOf(t, k)}, 201},
		{"client of unknown agency", "POST", "/v1/admin/clients", map[string]any{"client_id": "x-app", "agency": "none", "name": "x", "jwks": jwksOf(t, k)}, 422},
		{"client with private key", "POST", "/v1/admin/clients", map[string]any{"client_id": "x-app", "agency": "vss", "name": "x", "jwks": map[string]any{"keys": []any{k.priv}}}, 422},
		{"set grant", "PUT", "/v1/admin/agencies/vss/grants/" + enrolment, map[string]any{"legal_basis": "Law on Social Insurance 2024", "fields": []string{"full_name"}}, 200},
		{"replace grant", "PUT", "/v1/admin/agencies/vss/grants/" + enrolment, map[string]any{"legal_basis": "Law on Social Insurance 2024", "fields": []string{"full_name", "sex"}, "event_types": []string{"death"}}, 200},
		{"grant of unknown field", "PUT", "/v1/admin/agencies/vss/grants/" + enrolment, map[string]any{"legal_basis": "x", "fields": []string{"shoe_size"}}, 422},
		{"grant of unknown event", "PUT", "/v1/admin/agencies/vss/grants/" + enrolment, map[string]any{"legal_basis": "x", "fields": []string{}, "event_types": []string{"coronation"}}, 422},
		{"list grants", "GET", "/v1/admin/agencies/vss/grants", nil, 200},
		{"list clients", "GET", "/v1/admin/clients?agency=vss", nil, 200},
		{"list agencies", "GET", "/v1/admin/agencies", nil, 200},
	}
	for _, s := range steps {
		status, body := e.do(s.method, s.path, adminToken, s.body)
		if status != s.want {
			t.Errorf("%s: %d %s, want %d", s.name, status, body, s.want)
		}
	}
	gs, err := e.svc.Grants(context.Background(), "vss")
	if err != nil || len(gs) != 1 || !slices.Equal(gs[0].Fields, []string{"full_name", "sex"}) || gs[0].Version != 2 {
		t.Errorf("grants = %+v, %v", gs, err)
	}
	if status, _ := e.do("GET", "/v1/admin/agencies", "", nil); status != 401 {
		t.Errorf("no token: %d, want 401", status)
	}
	// The published JWKS verifies the server's tokens.
	tok := e.token("vss-app", k)
	resp, err := http.Get(e.ts.URL + exchange.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %v", set, err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := parsed.Claims(set.Keys[0].Key, &c); err != nil {
		t.Fatalf("the access token does not verify with the published key: %v", err)
	}
	if c["sub"] != "vss-app" || c["agency"] != "vss" || c["aud"] != issuer || c["jti"] == nil {
		t.Errorf("access token claims = %v", c)
	}
}

// TestOpenAPI_documentsTokenEndpoint checks that the OpenAPI document
// describes the token endpoint and its key set, which plain handlers serve.
func TestOpenAPI_documentsTokenEndpoint(t *testing.T) {
	e := newEnv(t, backends[0].open(t))
	status, body := e.do("GET", "/openapi.json", "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", status)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			RequestBody map[string]json.RawMessage `json:"requestBody"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	tok := doc.Paths[exchange.TokenPath]["post"]
	if tok.OperationID != "token" || tok.Responses["200"] == nil || tok.Responses["401"] == nil ||
		!strings.Contains(string(tok.RequestBody["content"]), "application/x-www-form-urlencoded") {
		t.Errorf("token endpoint in the OpenAPI document: %+v", tok)
	}
	if doc.Paths[exchange.JWKSPath]["get"].OperationID != "token-keys" {
		t.Errorf("JWKS endpoint missing from the OpenAPI document")
	}
}
