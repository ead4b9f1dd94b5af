package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// loginFormCSRF fetches the sign-in form and returns its double-submit
// cookie and the matching hidden field.
func loginFormCSRF(t *testing.T, e *env) (*http.Cookie, string) {
	t.Helper()
	resp, body := e.get(t, "/console/login", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /console/login: status %d", resp.StatusCode)
	}
	c := cookieNamed(resp, loginCookie)
	if c == nil {
		t.Fatal("no login CSRF cookie set")
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf field in the login form")
	}
	return c, m[1]
}

func TestHandler_login(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		token      string
		cookie     bool   // send the double-submit cookie
		field      string // "" sends the right value, "-" none, anything else that value
		wantStatus int
		wantText   string
		wantSess   bool
	}{
		{"right token", testToken, true, "", http.StatusSeeOther, "", true},
		{"token with surrounding spaces", "  " + testToken + "\n", true, "", http.StatusSeeOther, "", true},
		{"wrong token", "dancu_not-the-token-000000000000", true, "", http.StatusUnauthorized, "Mã truy cập không đúng.", false},
		{"empty token", "", true, "", http.StatusUnauthorized, "Mã truy cập không đúng.", false},
		{"no csrf cookie", testToken, false, "", http.StatusForbidden, "Biểu mẫu đăng nhập đã hết hạn", false},
		{"no csrf field", testToken, true, "-", http.StatusForbidden, "Biểu mẫu đăng nhập đã hết hạn", false},
		{"wrong csrf field", testToken, true, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusForbidden, "Biểu mẫu đăng nhập đã hết hạn", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cookie, field := loginFormCSRF(t, e)
			form := url.Values{"token": {tt.token}, "next": {"/console/"}}
			switch tt.field {
			case "":
				form.Set("csrf", field)
			case "-":
			default:
				form.Set("csrf", tt.field)
			}
			var cs []*http.Cookie
			if tt.cookie {
				cs = append(cs, cookie)
			}
			start := time.Now()
			resp := e.do(t, postForm("/console/login", form), cs...)
			body := readBody(t, resp)
			if got := resp.StatusCode; got != tt.wantStatus {
				t.Fatalf("status = %d, want %d", got, tt.wantStatus)
			}
			if tt.wantText != "" {
				mustContain(t, body, tt.wantText, `name="token"`)
			}
			sess := cookieNamed(resp, sessionCookie)
			if got := sess != nil; got != tt.wantSess {
				t.Fatalf("session cookie set = %v, want %v", got, tt.wantSess)
			}
			if !tt.wantSess {
				return
			}
			if loc := resp.Header.Get("Location"); loc != "/console/" {
				t.Errorf("Location = %q, want /console/", loc)
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/console/" || sess.Secure {
				t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/console/, not Secure over plain HTTP", sess)
			}
			if sess.MaxAge != int((8 * time.Hour).Seconds()) {
				t.Errorf("session MaxAge = %d, want 8h", sess.MaxAge)
			}
			if _, ok := e.auth.VerifySession(sess.Value); !ok {
				t.Error("the session cookie does not verify")
			}
			if tt.wantStatus == http.StatusUnauthorized && time.Since(start) < e.h.failDelay {
				t.Error("a wrong token was answered without delay")
			}
		})
	}
}

func TestHandler_loginFlowOverTLS(t *testing.T) {
	e := newEnv(t)
	srv, c := newServerClient(t, e, true)

	// Following a link while signed out leads to the sign-in page and back.
	target := "/console/people/" + e.fam.Husband
	resp, err := c.Get(srv.URL + target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login?next=") {
		t.Fatalf("signed out: status %d Location %q, want 303 to the sign-in page", resp.StatusCode, loc)
	}
	resp, err = c.Get(srv.URL + loc)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	n := regexp.MustCompile(`name="next" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil || n == nil {
		t.Fatal("sign-in form lacks csrf or next")
	}
	// A browser posting from the page itself says so.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/login",
		strings.NewReader(url.Values{"token": {testToken}, "csrf": {m[1]}, "next": {n[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != target {
		t.Fatalf("sign-in: status %d Location %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), target)
	}
	sess := cookieNamed(resp, sessionCookie)
	if sess == nil || !sess.Secure || !sess.HttpOnly {
		t.Fatalf("session cookie over TLS = %+v, want Secure and HttpOnly", sess)
	}
	resp, err = c.Get(srv.URL + target)
	if err != nil {
		t.Fatal(err)
	}
	body = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("person page after sign-in: status %d", resp.StatusCode)
	}
	mustContain(t, body, "Nguyễn Văn An")

	// Sign out with the page's token, then the console is closed again.
	tok := regexp.MustCompile(`action="/console/logout"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if tok == nil {
		t.Fatal("no sign-out form with a CSRF token")
	}
	resp, err = c.PostForm(srv.URL+"/console/logout", url.Values{"csrf": {tok[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login?signed_out=1" {
		t.Fatalf("sign-out: status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = c.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out: status %d, want 303", resp.StatusCode)
	}
}

func TestHandler_signedOutRedirects(t *testing.T) {
	e := newEnv(t)
	expired := &http.Cookie{Name: sessionCookie, Value: e.auth.NewSession(auth.Admin, -time.Minute)}
	forged := &http.Cookie{Name: sessionCookie, Value: "eyJzdWIiOiJhZG1pbiJ9.forged"}
	tests := []struct {
		name    string
		method  string
		path    string
		cookie  *http.Cookie
		wantLoc string
	}{
		{"search", "GET", "/console/", nil, "/console/login"},
		{"search with query", "GET", "/console/?name=an", nil, "/console/login?next=" + url.QueryEscape("/console/?name=an")},
		{"person", "GET", "/console/people/079085123456", nil, "/console/login?next=" + url.QueryEscape("/console/people/079085123456")},
		{"household", "GET", "/console/households/HABC", nil, "/console/login?next=" + url.QueryEscape("/console/households/HABC")},
		{"unknown page", "GET", "/console/nowhere", nil, "/console/login?next=" + url.QueryEscape("/console/nowhere")},
		{"expired session", "GET", "/console/", expired, "/console/login"},
		{"forged session", "GET", "/console/", forged, "/console/login"},
		{"sign-out", "POST", "/console/logout", nil, "/console/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			var cs []*http.Cookie
			if tt.cookie != nil {
				cs = append(cs, tt.cookie)
			}
			resp := e.do(t, req, cs...)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303", resp.StatusCode)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLoc {
				t.Errorf("Location = %q, want %q", got, tt.wantLoc)
			}
			mustNotContain(t, body, "Nguyễn")
		})
	}
}

func TestHandler_loginPageWhenSignedIn(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.get(t, "/console/login?next="+url.QueryEscape("/console/households/X"), e.session())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/households/X" {
		t.Fatalf("status %d Location %q, want 303 to next", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestHandler_logoutCSRF(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	good := csrfToken(sess.Value)
	other := csrfToken(e.auth.NewSession(auth.Admin, 2*time.Hour))
	tests := []struct {
		name       string
		form       url.Values
		header     map[string]string
		wantStatus int
	}{
		{"no token", url.Values{}, nil, http.StatusForbidden},
		{"another session's token", url.Values{"csrf": {other}}, nil, http.StatusForbidden},
		{"garbage token", url.Values{"csrf": {"x"}}, nil, http.StatusForbidden},
		{"right token from another site", url.Values{"csrf": {good}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"right token, foreign Origin", url.Values{"csrf": {good}}, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"right token", url.Values{"csrf": {good}}, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := postForm("/console/logout", tt.form)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp := e.do(t, req, sess)
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			cleared := cookieNamed(resp, sessionCookie)
			if tt.wantStatus == http.StatusForbidden {
				mustContain(t, body, "Yêu cầu bị từ chối")
				if cleared != nil {
					t.Error("a refused sign-out cleared the session")
				}
				return
			}
			if cleared == nil || cleared.MaxAge >= 0 {
				t.Errorf("session cookie not cleared: %+v", cleared)
			}
		})
	}
}

func TestHandler_loginCrossSite(t *testing.T) {
	e := newEnv(t)
	cookie, field := loginFormCSRF(t, e)
	req := postForm("/console/login", url.Values{"token": {testToken}, "csrf": {field}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp := e.do(t, req, cookie)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || cookieNamed(resp, sessionCookie) != nil {
		t.Fatalf("cross-site sign-in: status %d, want 403 and no session", resp.StatusCode)
	}
	mustContain(t, body, "Yêu cầu bị từ chối")
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Request-Id") == "" {
		t.Error("the refusal lacks the security headers or the request id")
	}
}

func TestHandler_search(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		want       []string
		notWant    []string
	}{
		{"empty form shows no results", nil, http.StatusOK, []string{`name="name"`, "Thành phố Hồ Chí Minh"}, []string{"Kết quả tìm kiếm"}},
		{"accent-free name", url.Values{"name": {"nguyen van an"}}, http.StatusOK,
			[]string{">Nguyễn Văn An</a>", e.fam.Husband, "02/03/1985", "Nam", "Phường Sài Gòn, Thành phố Hồ Chí Minh", "Còn sống", "/console/people/" + e.fam.Husband},
			[]string{"Nguyễn Văn Bảo"}},
		{"name with diacritics", url.Values{"name": {"Nguyễn Văn An"}}, http.StatusOK, []string{">Nguyễn Văn An</a>"}, []string{">Nguyễn Văn Bảo</a>"}},
		{"name prefix", url.Values{"name": {"nguyen van"}}, http.StatusOK, []string{">Nguyễn Văn An</a>", ">Nguyễn Văn Bảo</a>", ">Nguyễn Văn Cường</a>"}, []string{"Trần Thị Bình"}},
		{"apostrophe name", url.Values{"name": {"hhen nie"}}, http.StatusOK, []string{"H&#39;Hen Niê"}, nil},
		{"birth year and sex", url.Values{"birth_year": {"1988"}, "sex": {"female"}}, http.StatusOK, []string{"Trần Thị Bình", "15/07/1988", "Nữ"}, []string{">Nguyễn Văn An</a>"}},
		{"province", url.Values{"province": {"01"}}, http.StatusOK, []string{"Lê Thị Hoa", "Nguyễn Văn Cường"}, []string{">Nguyễn Văn Bảo</a>"}},
		{"commune", url.Values{"commune": {"00008"}}, http.StatusOK, []string{"H&#39;Hen Niê", "Phường Ngọc Hà"}, []string{"Lê Thị Hoa"}},
		{"no results", url.Values{"name": {"pham thi zzz"}}, http.StatusOK, []string{"Không tìm thấy công dân nào phù hợp"}, []string{"</a></td>"}},
		{"nothing to search on", url.Values{"name": {""}, "sex": {"male"}}, http.StatusBadRequest, []string{"Hãy nhập ít nhất một điều kiện"}, []string{"Kết quả tìm kiếm"}},
		{"bad year", url.Values{"birth_year": {"85"}}, http.StatusBadRequest, []string{"Năm sinh phải là một năm gồm 4 chữ số"}, nil},
		{"several problems at once", url.Values{"birth_year": {"abcd"}, "commune": {"123"}}, http.StatusBadRequest, []string{"Năm sinh phải", "Mã xã/phường phải gồm 5 chữ số"}, nil},
		{"commune outside province", url.Values{"province": {"01"}, "commune": {"26740"}}, http.StatusBadRequest, []string{"Xã/phường này không thuộc tỉnh/thành phố đã chọn."}, nil},
		{"unknown province", url.Values{"province": {"99"}}, http.StatusBadRequest, []string{"Tỉnh/thành phố không hợp lệ."}, nil},
		{"name without letters (registry)", url.Values{"name": {"''"}}, http.StatusBadRequest, []string{"Họ tên phải có ít nhất một chữ cái."}, nil},
		{"broken cursor", url.Values{"name": {"nguyen"}, "after": {"%%%"}}, http.StatusBadRequest, []string{"Liên kết trang sau không còn hợp lệ"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/console/"
			if tt.query != nil {
				path += "?" + tt.query.Encode()
			}
			resp, body := e.get(t, path, sess)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			mustContain(t, body, tt.want...)
			mustNotContain(t, body, tt.notWant...)
			mustNotContain(t, body, missingMark)
		})
	}
}

func TestHandler_searchPaging(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	saved := e.h.pageSize
	e.h.pageSize = 2
	defer func() { e.h.pageSize = saved }()

	next := "/console/?" + url.Values{"name": {"nguyen van"}}.Encode()
	var seen []string
	pinRE := regexp.MustCompile(`<td class="mono"><a href="/console/people/(\d{12})">`)
	nextRE := regexp.MustCompile(`rel="next" href="([^"]+)"`)
	for page := 0; next != "" && page < 10; page++ {
		resp, body := e.get(t, next, sess)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: status %d", page, resp.StatusCode)
		}
		rows := pinRE.FindAllStringSubmatch(body, -1)
		if len(rows) == 0 || len(rows) > 2 {
			t.Fatalf("page %d: %d rows, want 1 or 2", page, len(rows))
		}
		for _, r := range rows {
			seen = append(seen, r[1])
		}
		if page > 0 {
			mustContain(t, body, "Về trang đầu")
		}
		next = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	// An, Anh, Bảo, Cường: four "nguyen van" people in the fixture.
	if len(seen) != 4 {
		t.Fatalf("paged through %d people, want 4: %v", len(seen), seen)
	}
	sorted := slices.Clone(seen)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != 4 {
		t.Errorf("a person appears on two pages: %v", seen)
	}
}

func TestHandler_lookupPIN(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	tests := []struct {
		name       string
		pin        string
		wantStatus int
		wantLoc    string
	}{
		{"valid", e.fam.Wife, http.StatusSeeOther, "/console/people/" + e.fam.Wife},
		{"grouped digits", e.fam.Wife[:3] + " " + e.fam.Wife[3:6] + " " + e.fam.Wife[6:], http.StatusSeeOther, "/console/people/" + e.fam.Wife},
		{"too short", "12345", http.StatusBadRequest, ""},
		{"letters", "abcdefghijkl", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(t, "/console/people?"+url.Values{"pin": {tt.pin}}.Encode(), sess)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantLoc != "" && resp.Header.Get("Location") != tt.wantLoc {
				t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), tt.wantLoc)
			}
			if tt.wantStatus == http.StatusBadRequest {
				mustContain(t, body, "Số định danh cá nhân không hợp lệ", `name="name"`)
			}
		})
	}
}

func TestHandler_person(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	f := e.fam
	resp, body := e.get(t, "/console/people/"+f.Husband, sess)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	mustContain(t, body,
		// identity
		"Nguyễn Văn An", f.Husband, "02/03/1985", "Nam", "Kinh", "Việt Nam", "023456789", "Đã kết hôn",
		// birth
		"Hà Tĩnh", "Thành phố Hồ Chí Minh",
		// residence with unit names and the temporary residence in Hà Nội
		"12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh", "26740 · 79",
		"5 Phan Đình Phùng, Phường Ba Đình, Thành phố Hà Nội",
		// documents
		"Thẻ căn cước", "01/10/2025", "Còn hiệu lực",
		// relations as links
		`<a href="/console/people/`+f.Wife+`">Trần Thị Bình</a>`,
		`<a href="/console/people/`+f.Child+`">Nguyễn Minh Châu</a>`,
		// household
		`href="/console/households/`+f.Household+`"`, "Chủ hộ",
		// status
		"Còn sống",
		// history: every version, with event, actor, reason and changes
		"Lịch sử thay đổi", "Đăng ký thông tin ban đầu", "Đăng ký kết hôn", "Cấp thẻ căn cước",
		"Đăng ký khai sinh", "Đăng ký tạm trú", "officer-7", "Giấy chứng nhận kết hôn số 12/2025",
		"Tạo hồ sơ.",
		"Tình trạng hôn nhân", "Chưa kết hôn", "Vợ/chồng › Họ, chữ đệm và tên khai sinh",
		"Con #1 › Số định danh cá nhân",
		"Giấy tờ tùy thân #1 › Loại giấy tờ",
		"Nơi tạm trú › Xã/phường", "00004 · Phường Ba Đình",
	)
	mustNotContain(t, body, missingMark, "<script", "style=")
	// Versions are listed newest first.
	if i, j := strings.Index(body, "Đăng ký tạm trú"), strings.Index(body, "Tạo hồ sơ."); i < 0 || j < 0 || i > j {
		t.Error("history is not newest first")
	}
	// Five events touched the husband: registration, marriage, card, the
	// daughter's birth and the temporary residence.
	if n := strings.Count(body, `<li class="version`); n != 5 {
		t.Errorf("history lists %d versions, want 5", n)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

func TestHandler_personAsOf(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	f := e.fam
	tests := []struct {
		name       string
		asOf       string
		wantStatus int
		want       []string
		notWant    []string
	}{
		{"before the marriage (ISO)", "2025-08-15", http.StatusOK,
			[]string{"Đang xem hồ sơ như tại ngày 15/08/2025 (phiên bản 1)", "Chưa kết hôn", `value="15/08/2025"`, "Đang xem"},
			[]string{"Trần Thị Bình</a>"}},
		{"after the marriage (dd/mm/yyyy)", "20/09/2025", http.StatusOK,
			[]string{"phiên bản 2", "Đã kết hôn", "Trần Thị Bình</a>", `value="20/09/2025"`}, nil},
		{"today is the current record", "2026-03-15", http.StatusOK, nil, []string{"Đang xem hồ sơ như tại ngày"}},
		{"malformed date", "2025-13-40", http.StatusBadRequest, []string{"Ngày không hợp lệ", "Nguyễn Văn An"}, nil},
		{"before any record", "2020-01-01", http.StatusNotFound, []string{"Chưa có hồ sơ của công dân này tại ngày 01/01/2020.", "Về hồ sơ hiện tại"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(t, "/console/people/"+f.Husband+"?as_of="+url.QueryEscape(tt.asOf), sess)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			mustContain(t, body, tt.want...)
			mustNotContain(t, body, tt.notWant...)
		})
	}
}

func TestHandler_personErrors(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	tests := []struct {
		name       string
		path       string
		wantStatus int
		want       string
	}{
		{"unknown PIN", "/console/people/079085999999", http.StatusNotFound, "Không có công dân nào mang số định danh cá nhân này."},
		{"malformed PIN", "/console/people/12ab", http.StatusBadRequest, "Số định danh cá nhân không hợp lệ"},
		{"unknown household", "/console/households/HNOSUCHHOUSE1", http.StatusNotFound, "Không có hộ gia đình nào mang mã này."},
		{"implausible household id", "/console/households/" + url.PathEscape("a;b"), http.StatusNotFound, "Không có hộ gia đình nào mang mã này."},
		{"unknown page", "/console/people/1/2", http.StatusNotFound, "Trang này không tồn tại."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(t, tt.path, sess)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			mustContain(t, body, tt.want)
		})
	}
}

func TestHandler_household(t *testing.T) {
	e := newEnv(t)
	f := e.fam
	resp, body := e.get(t, "/console/households/"+f.Household, e.session())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	mustContain(t, body,
		"12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh", f.Household,
		`<a href="/console/people/`+f.Husband+`">Nguyễn Văn An</a>`,
		`<a href="/console/people/`+f.Wife+`">Trần Thị Bình</a>`,
		`<a href="/console/people/`+f.Child+`">Nguyễn Minh Châu</a>`,
		"Chủ hộ", "Vợ/chồng", "Con", "10/01/2026",
	)
	mustNotContain(t, body, missingMark)
}

func TestHandler_language(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	f := e.fam

	resp, body := e.get(t, "/console/people/"+f.Husband+"?lang=en", sess)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	lc := cookieNamed(resp, langCookie)
	if lc == nil || lc.Value != "en" || lc.Path != "/console/" {
		t.Fatalf("language cookie = %+v, want en on /console/", lc)
	}
	mustContain(t, body, `<html lang="en">`, "Citizen record", "History of changes", "1985-03-02", "Married",
		"Marital status", "Single", "Nguyễn Văn An", "Phường Sài Gòn", "dancu — Cơ sở dữ liệu quốc gia về dân cư")
	mustNotContain(t, body, "02/03/1985", "Lịch sử thay đổi", missingMark)

	// The cookie keeps the choice on the next page.
	_, body = e.get(t, "/console/households/"+f.Household, sess, lc)
	mustContain(t, body, "Members", "Head", "2026-01-10")

	// And the switch goes back.
	resp, body = e.get(t, "/console/?lang=vi", sess, lc)
	if c := cookieNamed(resp, langCookie); c == nil || c.Value != "vi" {
		t.Errorf("switching back set %+v", c)
	}
	mustContain(t, body, `<html lang="vi">`, "Tra cứu công dân")

	// An unknown language is ignored.
	_, body = e.get(t, "/console/?lang=fr", sess)
	mustContain(t, body, `<html lang="vi">`)
}

func TestHandler_languageSwitchLinks(t *testing.T) {
	e := newEnv(t)
	_, body := e.get(t, "/console/?name=nguyen&birth_year=", e.session())
	mustContain(t, body, `href="/console/?birth_year=&amp;lang=en&amp;name=nguyen"`)
}

func TestHandler_securityHeaders(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	for _, path := range []string{"/console/login", "/console/", "/console/people/" + e.fam.Husband, "/console/people/079085999999", e.h.cssURL} {
		t.Run(path, func(t *testing.T) {
			resp, body := e.get(t, path, sess)
			h := resp.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := h.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if path == e.h.cssURL {
				if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
					t.Errorf("stylesheet Content-Type = %q", ct)
				}
				mustContain(t, body, ".site-header")
				return
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			mustNotContain(t, body, "<script", "style=", "<style", "http://", "https://")
		})
	}
}

// failingStore is a store whose reads fail, as when the database is down.
type failingStore struct {
	store.Registry
}

var errDown = errors.New("store: connection refused by 10.0.0.5 while reading person 079085123456")

func (failingStore) Person(context.Context, string) (store.PersonVersion, error) {
	return store.PersonVersion{}, errDown
}

func (failingStore) SearchPersons(context.Context, store.PersonQuery) ([]store.PersonRow, error) {
	return nil, errDown
}

func (failingStore) Household(context.Context, string) (store.HouseholdVersion, error) {
	return store.HouseholdVersion{}, errDown
}

func TestHandler_internalError(t *testing.T) {
	e := newEnv(t)
	logs := &syncBuffer{}
	h := New(Deps{Registry: registry.New(failingStore{}), Auth: e.auth, Logger: slogJSON(logs), Recorder: &audittest.Recorder{}})
	mux := http.NewServeMux()
	h.Mount(mux)
	for _, path := range []string{"/console/people/079085123456", "/console/?name=an", "/console/households/H1"} {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(e.session())
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500", rec.Code)
			}
			id := rec.Header().Get("X-Request-Id")
			mustContain(t, body, "Đã xảy ra lỗi", "Mã yêu cầu: "+id)
			mustNotContain(t, body, "connection refused", "10.0.0.5", "store:")
			if !strings.Contains(logs.String(), id) || !strings.Contains(logs.String(), "connection refused") {
				t.Error("the cause is not logged with the request id")
			}
		})
	}
}

// TestHandler_logsNoPersonalData runs every page and checks that the log
// holds no PIN, name or address from the fixture.
func TestHandler_logsNoPersonalData(t *testing.T) {
	e := newEnv(t)
	sess := e.session()
	f := e.fam
	paths := []string{
		"/console/?name=" + url.QueryEscape("Nguyễn Văn An"),
		"/console/?name=nguyen+van+an&birth_year=1985",
		"/console/people/" + f.Husband,
		"/console/people/" + f.Wife + "?as_of=2025-08-20",
		"/console/people/079085999999",
		"/console/people?pin=" + f.Child,
		"/console/households/" + f.Household,
	}
	for _, p := range paths {
		resp, _ := e.get(t, p, sess)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s: status %d", p, resp.StatusCode)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "GET /console/people/{pin}") {
		t.Fatalf("route patterns are not logged:\n%s", logs)
	}
	for _, s := range append(append(slices.Clone(e.pins), e.names...), "079085999999", "nguyen") {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain personal data %q", s)
		}
	}
}

func TestHandler_static(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.get(t, "/console/static/console.css", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stylesheet without a session: status %d, want 200", resp.StatusCode)
	}
	resp, _ = e.get(t, "/console/static/nothing.js", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing static file: status %d, want 404", resp.StatusCode)
	}
}

func TestMessages_sameKeys(t *testing.T) {
	for _, a := range langs {
		for _, b := range langs {
			for k := range messages[a] {
				if _, ok := messages[b][k]; !ok {
					t.Errorf("%q is in %s but not in %s", k, a, b)
				}
			}
		}
	}
}

// TestTemplates_knownMessages checks that every message a template names
// literally is in the catalogue, so a typo cannot reach an officer.
func TestTemplates_knownMessages(t *testing.T) {
	re := regexp.MustCompile(`\bt "([^"]+)"`)
	files, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := templateFS.ReadFile("templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			for _, l := range langs {
				if _, ok := messages[l][m[1]]; !ok {
					t.Errorf("%s: message %q missing in %s", f.Name(), m[1], l)
				}
			}
		}
	}
}

func TestTemplates_noInlineCode(t *testing.T) {
	files, _ := templateFS.ReadDir("templates")
	for _, f := range files {
		b, _ := templateFS.ReadFile("templates/" + f.Name())
		for _, bad := range []string{"<script", "style=", "<style", " on", "javascript:"} {
			if bad == " on" {
				if regexp.MustCompile(`\son[a-z]+=`).Match(b) {
					t.Errorf("%s has an inline event handler", f.Name())
				}
				continue
			}
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", f.Name(), bad)
			}
		}
	}
}
