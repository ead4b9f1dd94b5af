package oidc

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

var staticFS, _ = fs.Sub(staticRoot, "static")

var zeroDate registry.Date

func requestIDFrom(ctx context.Context) string { return api.RequestID(ctx) }

// pages renders the provider's HTML pages.
type pages struct {
	consent, errorPage *template.Template
}

func newPages() (*pages, error) {
	base, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	clone := func(name string) (*template.Template, error) {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		return t.ParseFS(templateFS, "templates/"+name)
	}
	var p pages
	if p.consent, err = clone("consent.html"); err != nil {
		return nil, err
	}
	if p.errorPage, err = clone("error.html"); err != nil {
		return nil, err
	}
	return &p, nil
}

// texts are the page texts in one language.
type texts struct {
	Brand, ConsentTitle, Asks, Purpose, Attributes, Level, Agree, Refuse, Note, Back    string
	Expired, ExpiredText, LevelTitle, LevelText, DisabledText, LoggedOut, LoggedOutText string
	LoggedOutAllText, Error, ErrorText, BadRequestText, Unavailable                     string
	ActFor, ActForNote, NoOrgTitle, NoOrgText                                           string
}

var textsVI = texts{
	Brand: "Định danh và xác thực điện tử", ConsentTitle: "Chia sẻ thông tin",
	Asks: "đề nghị được nhận các thông tin sau của bạn.", Purpose: "Mục đích", Attributes: "Thông tin được chia sẻ",
	Level: "Mức độ tài khoản định danh điện tử:", Agree: "Đồng ý", Refuse: "Từ chối",
	Note: "Lựa chọn của bạn được ghi nhớ; bạn có thể thu hồi bất cứ lúc nào trong mục Ứng dụng đã kết nối. Mỗi lần chia sẻ được ghi vào nhật ký truy cập.",
	Back: "Quay lại dịch vụ", Expired: "Yêu cầu đăng nhập không còn hiệu lực",
	ExpiredText:  "Yêu cầu này không tồn tại hoặc đã hết hạn. Hãy quay lại dịch vụ và thử lại.",
	LevelTitle:   "Cần tài khoản định danh điện tử mức độ 2",
	LevelText:    "Dịch vụ này yêu cầu tài khoản mức độ 2. Tài khoản của bạn đang ở mức độ 1: hãy mang thẻ căn cước đến cơ quan công an để được nâng mức.",
	DisabledText: "Dịch vụ này hiện không được phép sử dụng đăng nhập bằng định danh điện tử.",
	LoggedOut:    "Đã đăng xuất khỏi dịch vụ", LoggedOutText: "Bạn đã đăng xuất khỏi dịch vụ. Phiên trên cổng công dân vẫn còn; hãy đăng xuất tại đó nếu dùng máy chung.",
	LoggedOutAllText: "Bạn đã đăng xuất khỏi dịch vụ và khỏi cổng công dân.",
	Error:            "Không thể tiếp tục", ErrorText: "Yêu cầu không hợp lệ. Hãy quay lại dịch vụ và thử lại.",
	Unavailable:    "Hệ thống tạm thời không phục vụ được. Hãy thử lại sau.",
	ActFor:         "Đăng nhập thay mặt tổ chức",
	ActForNote:     "Dịch vụ sẽ biết bạn là người thay mặt tổ chức. Các thông tin cá nhân ở trên (nếu có) là của bạn.",
	NoOrgTitle:     "Bạn không đại diện tổ chức nào",
	NoOrgText:      "Dịch vụ này yêu cầu đăng nhập bằng tài khoản định danh điện tử của tổ chức. Bạn không phải (hoặc không còn là) người đại diện theo pháp luật của tổ chức nào có tài khoản.",
	BadRequestText: "Dịch vụ đã gửi một yêu cầu đăng nhập không hợp lệ (ứng dụng chưa được đăng ký, hoặc địa chỉ quay lại không khớp với địa chỉ đã đăng ký). Vì an toàn, bạn không được chuyển tiếp. Hãy báo cho dịch vụ.",
}

var textsEN = texts{
	Brand: "Electronic identification", ConsentTitle: "Share your information",
	Asks: "asks to receive the following information about you.", Purpose: "Purpose", Attributes: "Information shared",
	Level: "Level of your electronic identification account:", Agree: "Agree", Refuse: "Refuse",
	Note: "Your choice is remembered; you can revoke it at any time under Connected apps. Every release is written to the access log.",
	Back: "Return to the service", Expired: "This sign-in request is no longer valid",
	ExpiredText:  "The request is unknown or has expired. Return to the service and try again.",
	LevelTitle:   "A level 2 electronic identification account is required",
	LevelText:    "This service requires a level 2 account. Yours is at level 1: bring your chip ID card to a police office to have it raised.",
	DisabledText: "This service may not use electronic identification at present.",
	LoggedOut:    "Signed out of the service", LoggedOutText: "You have signed out of the service. Your portal session remains; sign out there too on a shared computer.",
	LoggedOutAllText: "You have signed out of the service and of the citizens' portal.",
	Error:            "Cannot continue", ErrorText: "The request is not valid. Return to the service and try again.",
	Unavailable:    "The service is unavailable for the moment. Try again later.",
	ActFor:         "Sign in on behalf of the organisation",
	ActForNote:     "The service will know that you act for the organisation. Personal information listed above, if any, is yours.",
	NoOrgTitle:     "You represent no organisation",
	NoOrgText:      "This service requires signing in with an organisation's electronic identification account. You are not (or no longer) the legal representative of an organisation with an account.",
	BadRequestText: "The service sent a sign-in request that is not valid (an unregistered application, or a return address other than the registered one). For your safety you are not sent on. Please tell the service.",
}

// acceptLanguages lists the browser's Accept-Language tags in its order.
func acceptLanguages(r *http.Request) []string {
	var out []string
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		out = append(out, tag)
	}
	return out
}

// pickLanguage chooses the pages' language. In the portal's layout it is
// the portal's choice (the citizen's, else the relying party's
// ui_locales), so that the header and the page agree; alone, the
// first of ui_locales and the browser's languages that is Vietnamese or
// English. Vietnamese by default.
func (p *Provider) pickLanguage(w http.ResponseWriter, r *http.Request, uiLocales []string) (texts, bool) {
	if p.layout != nil {
		// Not the browser's languages: the portal's sign-in pages, just
		// before, do not follow them either.
		if p.layout.PageLang(w, r, uiLocales...) == "en" {
			return textsEN, false
		}
		return textsVI, true
	}
	for _, t := range append(slices.Clone(uiLocales), acceptLanguages(r)...) {
		t = strings.ToLower(t)
		switch {
		case strings.HasPrefix(t, "vi"):
			return textsVI, true
		case strings.HasPrefix(t, "en"):
			return textsEN, false
		}
	}
	return textsVI, true
}

type pageData struct {
	Lang, Title, Text, Back string
	T                       texts
	Vi                      bool
	RP                      *RP
	Scopes                  []Scope
	Orgs                    []Organisation // to choose from, on a sign-in as an organisation
	Level                   int
	ID, CSRF                string
}

// render writes one of the provider's pages: its content in the portal's
// layout when there is one, else in the provider's plain frame. formAction,
// when set, is the origin the page's form leads to (the relying party, to
// which the answer redirects), allowed by the Content-Security-Policy.
func (p *Provider) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, d pageData, formAction string) {
	d.Lang = "vi"
	if !d.Vi {
		d.Lang = "en"
	}
	name := "page"
	if p.layout != nil {
		name = "content"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, d); err != nil {
		p.log.ErrorContext(r.Context(), "oidc: render page", api.KeyRequestID, api.RequestID(r.Context()), "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.layout != nil {
		var extra []string
		if formAction != "" {
			extra = append(extra, formAction)
		}
		p.layout.RenderPage(w, r, status, d.Lang, d.Title, template.HTML(buf.String()), extra...)
		return
	}
	if formAction != "" {
		w.Header().Set("Content-Security-Policy", csp("'self' "+formAction))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage explains a refusal in the page's language: msg picks the title
// and the text from the language's texts. back, when set, is the way back
// to the relying party.
func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, msg func(texts) (title, text string), back string, ui []string) {
	t, vi := p.pickLanguage(w, r, ui)
	title, text := msg(t)
	p.render(w, r, status, p.pages.errorPage, pageData{T: t, Vi: vi, Title: title, Text: text, Back: back}, "")
}

// loginPage is where the library sends the browser after validating an
// authorization request: sign-in (through the portal), the level check,
// consent.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	p.loginPageWith(w, r, nil)
}

// loginPageWith is the login page, with the request when the caller has
// it at hand (the authorization endpoint that just created it).
func (p *Provider) loginPageWith(w http.ResponseWriter, r *http.Request, created *authRequest) {
	ctx := r.Context()
	var a *authRequest
	var rp *RP
	var ok bool
	if id := r.URL.Query().Get("id"); created != nil && created.ID == id {
		a, rp, ok = p.checkRequest(w, r, created)
	} else {
		a, rp, ok = p.loadRequest(w, r, id)
	}
	if !ok {
		return
	}
	u, signedIn := p.sessions.Current(r)
	none := slices.Contains(a.Prompt, oidc.PromptNone)
	if !signedIn || p.tooOld(a, u) {
		if none {
			p.redirectError(w, r, a, "login_required", "the citizen must sign in")
			return
		}
		if err := p.ensureStored(ctx, a); err != nil {
			p.storeFailed(w, r, a, err)
			return
		}
		next := LoginPath + "?id=" + url.QueryEscape(a.ID)
		target := p.opts.SignInURL + "?next=" + url.QueryEscape(next)
		if signedIn {
			target += "&prompt=login"
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	if u.Level < a.RequiredLevel {
		p.levelTooLow(w, r, a)
		return
	}
	// A sign-in as an organisation: the citizen must represent one, and
	// chooses which on the consent page when they represent several.
	var orgs []Organisation
	var org *Organisation
	if a.asOrganisation() {
		var err error
		if orgs, err = p.represented(ctx, u); err != nil {
			p.serverError(w, r, err)
			return
		}
		if len(orgs) == 0 {
			p.noOrganisation(w, r, a, none)
			return
		}
		if len(orgs) == 1 {
			org = &orgs[0]
		}
	}
	if !a.asOrganisation() || org != nil {
		c, err := p.st.OIDCConsent(ctx, consentHolder(u, org), rp.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.serverError(w, r, err)
			return
		}
		if err == nil && covers(c.Scopes, a.Scopes) && !slices.Contains(a.Prompt, oidc.PromptConsent) {
			p.complete(w, r, a, rp, u, org)
			return
		}
	}
	if none {
		if a.asOrganisation() && org == nil {
			p.redirectError(w, r, a, "account_selection_required", "the citizen must choose the organisation to act for")
			return
		}
		p.redirectError(w, r, a, "consent_required", "the citizen has not agreed to share these attributes")
		return
	}
	if err := p.ensureStored(ctx, a); err != nil {
		p.storeFailed(w, r, a, err)
		return
	}
	// The decision's answer redirects to the relying party, which the
	// browser checks against form-action.
	var formAction string
	if u, err := url.Parse(a.RedirectURI); err == nil {
		formAction = u.Scheme + "://" + u.Host
	}
	t, vi := p.pickLanguage(w, r, a.UILocales)
	var ss []Scope
	for _, name := range a.Scopes {
		if s, ok := lookupScope(name); ok {
			ss = append(ss, s)
		}
	}
	p.render(w, r, http.StatusOK, p.pages.consent, pageData{T: t, Vi: vi, Title: t.ConsentTitle, RP: rp, Scopes: ss,
		Level: u.Level, ID: a.ID, CSRF: p.csrfToken(u, a.ID), Orgs: orgs}, formAction)
}

// consentHolder is whose consent a sign-in needs: the organisation's when
// the citizen acts for one, else the citizen's.
func consentHolder(u User, org *Organisation) string {
	if org != nil {
		return org.AccountID
	}
	return u.AccountID
}

// noOrganisation refuses a sign-in as an organisation by a citizen who
// represents none, with the way back carrying access_denied.
func (p *Provider) noOrganisation(w http.ResponseWriter, r *http.Request, a *authRequest, none bool) {
	const desc = "the citizen represents no organisation"
	if none {
		p.redirectError(w, r, a, "access_denied", desc)
		return
	}
	p.errorPage(w, r, http.StatusForbidden, func(t texts) (string, string) { return t.NoOrgTitle, t.NoOrgText },
		errorRedirect(a, "access_denied", desc), a.UILocales)
}

// tooOld reports whether the portal's sign-in is too old for the request:
// prompt=login (which the library turns into max_age=0) or max_age asks
// for a sign-in more recent than the session's. A sign-in made after the
// request arrived is as recent as the request can have, and satisfies it:
// without that, max_age=0 would send the citizen to sign in for ever.
func (p *Provider) tooOld(a *authRequest, u User) bool {
	if a.MaxAge == nil || !u.AuthTime.Before(a.CreatedAt) {
		return false
	}
	return p.now().Sub(u.AuthTime) > time.Duration(*a.MaxAge)*time.Second
}

// consentSubmit takes the citizen's decision.
func (p *Provider) consentSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, func(t texts) (string, string) { return t.Error, t.ErrorText }, "", nil)
		return
	}
	a, rp, ok := p.loadRequest(w, r, r.PostForm.Get("id"))
	if !ok {
		return
	}
	u, signedIn := p.sessions.Current(r)
	if !signedIn || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(p.csrfToken(u, a.ID))) {
		p.errorPage(w, r, http.StatusForbidden, func(t texts) (string, string) { return t.Error, t.ErrorText }, "", a.UILocales)
		return
	}
	switch r.PostForm.Get("decision") {
	case "agree":
		if u.Level < a.RequiredLevel {
			p.levelTooLow(w, r, a)
			return
		}
		var org *Organisation
		if a.asOrganisation() {
			// The choice is checked against whom the citizen represents
			// now, not against the page they were shown.
			orgs, err := p.represented(r.Context(), u)
			if err != nil {
				p.serverError(w, r, err)
				return
			}
			chosen := r.PostForm.Get("organisation")
			i := slices.IndexFunc(orgs, func(o Organisation) bool { return o.AccountID == chosen })
			if i < 0 {
				p.noOrganisation(w, r, a, false)
				return
			}
			org = &orgs[i]
		}
		holder := consentHolder(u, org)
		scopes := normalizeScopes(a.Scopes)
		if old, err := p.st.OIDCConsent(r.Context(), holder, rp.ID); err == nil {
			scopes = normalizeScopes(append(scopes, old.Scopes...))
		}
		if err := p.st.PutOIDCConsent(r.Context(), store.OIDCConsent{AccountID: holder, ClientID: rp.ID,
			Scopes: scopes, GrantedAt: p.now().UTC()}); err != nil {
			p.serverError(w, r, err)
			return
		}
		p.complete(w, r, a, rp, u, org)
	case "refuse":
		p.redirectError(w, r, a, "access_denied", "the citizen refused to share the attributes")
	default:
		p.errorPage(w, r, http.StatusBadRequest, func(t texts) (string, string) { return t.Error, t.ErrorText }, "", a.UILocales)
	}
}

// loadRequest reads a pending request and its relying party, answering
// with an error page when either is gone.
func (p *Provider) loadRequest(w http.ResponseWriter, r *http.Request, id string) (*authRequest, *RP, bool) {
	a, err := p.authRequest(r.Context(), id)
	var oe *oidc.Error
	if errors.As(err, &oe) {
		p.errorPage(w, r, http.StatusBadRequest, func(t texts) (string, string) { return t.Expired, t.ExpiredText }, "", nil)
		return nil, nil, false
	}
	if err != nil {
		p.serverError(w, r, err)
		return nil, nil, false
	}
	return p.checkRequest(w, r, a)
}

// checkRequest refuses a request already completed, or whose relying party
// is gone or disabled.
func (p *Provider) checkRequest(w http.ResponseWriter, r *http.Request, a *authRequest) (*authRequest, *RP, bool) {
	if a.Completed {
		p.errorPage(w, r, http.StatusBadRequest, func(t texts) (string, string) { return t.Expired, t.ExpiredText }, "", a.UILocales)
		return nil, nil, false
	}
	rp, err := p.RP(r.Context(), a.ClientID)
	if err != nil || rp.Status != StatusActive {
		p.errorPage(w, r, http.StatusForbidden, func(t texts) (string, string) { return t.Error, t.DisabledText }, "", a.UILocales)
		return nil, nil, false
	}
	return a, rp, true
}

// levelTooLow explains the refusal and offers the way back, which carries
// access_denied to the relying party.
func (p *Provider) levelTooLow(w http.ResponseWriter, r *http.Request, a *authRequest) {
	back := errorRedirect(a, "access_denied", "a level 2 account is required")
	p.errorPage(w, r, http.StatusForbidden, func(t texts) (string, string) { return t.LevelTitle, t.LevelText }, back, a.UILocales)
}

// complete records who signed in and answers the relying party with a
// code: the library builds the response, and SaveAuthCode stores the
// completed request with the code's hash in one write.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, a *authRequest, rp *RP, u User, org *Organisation) {
	a.Completed = true
	a.AccountID, a.PIN, a.Level, a.AuthTime, a.AMR = u.AccountID, u.PIN, u.Level, u.AuthTime.UTC(), u.AMR
	a.Subject = p.subjectFor(rp, u)
	if org != nil {
		// The organisation is the subject, and the account its tokens are
		// revoked with; the representative's PIN stays for the access log
		// (the release is theirs to see) and any person scope.
		a.AccountID, a.Subject = org.AccountID, p.orgSubject(rp, *org)
		a.Organisation = &actingFor{AccountID: org.AccountID, Name: org.Name, TaxCode: org.TaxCode,
			Representative: u.AccountID, Actor: p.subjectFor(rp, u)}
	}
	ctx := context.WithValue(op.ContextWithIssuer(r.Context(), p.Issuer()), completedKey{}, a)
	op.AuthResponse(a, p.op, w, r.WithContext(ctx))
}

// redirectError sends an OAuth error to the request's (registered, already
// checked) redirect URI, with its state unchanged.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, a *authRequest, code, desc string) {
	http.Redirect(w, r, errorRedirect(a, code, desc), http.StatusFound)
}

func errorRedirect(a *authRequest, code, desc string) string {
	u, err := url.Parse(a.RedirectURI)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("error", code)
	q.Set("error_description", desc)
	if a.State != "" {
		q.Set("state", a.State)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// storeFailed answers a request that could not be written: an outage goes
// back to the relying party as temporarily_unavailable (RFC 6749
// §4.1.2.1), anything else is a server error.
func (p *Provider) storeFailed(w http.ResponseWriter, r *http.Request, a *authRequest, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		p.log.WarnContext(r.Context(), "oidc: authorization request not stored", api.KeyRequestID, api.RequestID(r.Context()), "error", err)
		p.redirectError(w, r, a, errTemporarilyUnavailable, unavailableDesc)
		return
	}
	p.serverError(w, r, err)
}

func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.ErrorContext(r.Context(), "oidc: login", api.KeyRequestID, api.RequestID(r.Context()), "error", err)
	if errors.Is(err, store.ErrUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(int(api.RetryAfterUnavailable/time.Second)))
	}
	p.errorPage(w, r, http.StatusServiceUnavailable, func(t texts) (string, string) { return t.Error, t.Unavailable }, "", nil)
}

// csrfToken binds the consent form to the portal session and the request.
func (p *Provider) csrfToken(u User, requestID string) string {
	m := hmac.New(sha256.New, p.csrfKey)
	m.Write([]byte(u.SessionID))
	m.Write([]byte{0})
	m.Write([]byte(u.AccountID))
	m.Write([]byte{0})
	m.Write([]byte(requestID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// covers reports whether a remembered consent includes every scope asked.
func covers(have, want []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// loggedOut is where RP-initiated logout ends without a registered
// post_logout_redirect_uri.
func (p *Provider) loggedOut(w http.ResponseWriter, r *http.Request) {
	t, vi := p.pickLanguage(w, r, nil)
	text := t.LoggedOutAllText
	if _, signedIn := p.sessions.Current(r); signedIn {
		text = t.LoggedOutText
	}
	p.render(w, r, http.StatusOK, p.pages.errorPage, pageData{T: t, Vi: vi, Title: t.LoggedOut, Text: text}, "")
}
