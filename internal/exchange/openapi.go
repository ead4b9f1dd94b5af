package exchange

import (
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// tokenRequestForm is the token endpoint's form body, for the OpenAPI
// document only: the endpoint itself parses the form (RFC 6749 forbids
// repeated parameters and parameters in the URL, which a generic binder
// would accept).
type tokenRequestForm struct {
	GrantType           string `json:"grant_type" enum:"client_credentials" doc:"Always client_credentials."`
	ClientAssertionType string `json:"client_assertion_type" enum:"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"`
	ClientAssertion     string `json:"client_assertion" doc:"A JWT signed with one of the client's registered keys (RFC 7523): iss and sub the client id, aud the token endpoint URL, a unique jti, exp at most 5 minutes ahead."`
	ClientID            string `json:"client_id,omitempty" doc:"Optional; if given, must equal the assertion's sub."`
	Scope               string `json:"scope,omitempty" doc:"Optional space-separated purpose codes, each granted to the agency; kept in the token for the record (every request still names its purpose and is judged against the grants as they stand)."`
}

// documentToken adds the token and JWKS endpoints, served by plain handlers,
// to the OpenAPI document, so that agencies' developers find them there.
func documentToken(api huma.API) {
	reg := api.OpenAPI().Components.Schemas
	form := reg.Schema(reflect.TypeFor[tokenRequestForm](), true, "TokenRequest")
	tok := reg.Schema(reflect.TypeFor[TokenResponse](), true, "TokenResponse")
	oerr := reg.Schema(reflect.TypeFor[OAuthError](), true, "OAuthError")
	errResp := func(desc string) *huma.Response {
		return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{"application/json": {Schema: oerr}}}
	}
	api.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "token", Method: http.MethodPost, Path: TokenPath,
		Summary: "Get an access token (client credentials with private_key_jwt)",
		Description: "OAuth 2.0 client credentials grant (RFC 6749 §4.4) with client authentication by a signed JWT " +
			"(RFC 7523, private_key_jwt). The access token is a short-lived EdDSA-signed JWT bound to the client; " +
			"send it as Authorization: Bearer. Errors are RFC 6749 §5.2 bodies, never problem+json.",
		Tags: []string{"oauth"},
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/x-www-form-urlencoded": {Schema: form},
		}},
		Responses: map[string]*huma.Response{
			"200": {Description: "The access token.", Content: map[string]*huma.MediaType{"application/json": {Schema: tok}}},
			"400": errResp("invalid_request, unsupported_grant_type or invalid_scope."),
			"401": errResp("invalid_client: the assertion is missing, expired, replayed, for another audience, or signed by no registered key, or the client or its agency is disabled."),
		},
	})
	api.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "token-keys", Method: http.MethodGet, Path: JWKSPath,
		Summary: "The public keys that verify access tokens (JWK Set)", Tags: []string{"oauth"},
		Responses: map[string]*huma.Response{
			"200": {Description: "A JWK Set (RFC 7517).", Content: map[string]*huma.MediaType{"application/jwk-set+json": {}}},
		},
	})
}
