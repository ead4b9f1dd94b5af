package exchange

import (
	"errors"
	"mime"
	"net/http"

	"github.com/dancu/dancu/internal/api"
)

// tokenHandler serves the OAuth 2.0 token endpoint. Its errors are RFC 6749
// JSON bodies, never problem details: OAuth client libraries parse them.
func (s *Service) tokenHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, &OAuthError{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "the token endpoint accepts POST only"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, invalidRequest("the body must be application/x-www-form-urlencoded"))
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeOAuthError(w, &OAuthError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "the request body is too large"})
			return
		}
		writeOAuthError(w, invalidRequest("the form body is malformed"))
		return
	}
	f := r.PostForm
	for _, k := range []string{"grant_type", "client_id", "client_assertion_type", "client_assertion", "scope"} {
		if len(f[k]) > 1 {
			// RFC 6749 §3.2: parameters must not be repeated.
			writeOAuthError(w, invalidRequest(k+" is repeated"))
			return
		}
	}
	if len(r.URL.Query()) > 0 {
		// Credentials in the URL end up in proxies' logs.
		writeOAuthError(w, invalidRequest("parameters go in the body, not the URL"))
		return
	}
	resp, err := s.Token(r.Context(), TokenRequest{
		GrantType: f.Get("grant_type"), ClientID: f.Get("client_id"),
		ClientAssertionType: f.Get("client_assertion_type"), ClientAssertion: f.Get("client_assertion"),
		Scope: f.Get("scope"),
	})
	var oe *OAuthError
	if errors.As(err, &oe) {
		writeOAuthError(w, oe)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "exchange: token request failed", api.KeyRequestID, api.RequestID(r.Context()), "error", err)
		writeOAuthError(w, &OAuthError{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "try again later"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(marshalJSON(resp))
}

func writeOAuthError(w http.ResponseWriter, e *OAuthError) {
	w.Header().Set("Content-Type", "application/json")
	if e.Status == http.StatusUnauthorized {
		// The client did not use HTTP authentication, so no scheme
		// applies; the header still tells generic clients why.
		w.Header().Set("WWW-Authenticate", `Bearer realm="dancu", error="invalid_client"`)
	}
	w.WriteHeader(e.Status)
	w.Write(marshalJSON(e))
}

// jwksHandler publishes the public keys that verify access tokens, so that
// agencies' gateways can check tokens themselves.
func (s *Service) jwksHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(marshalJSON(s.JWKS()))
}
