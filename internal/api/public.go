package api

// AllowAnonymous serves routes mounted through the huma API (paths as
// registered, such as /v1/audit/checkpoint) without a bearer token: public
// documents that anyone must be able to fetch to check the server, such as
// the access log's signed checkpoint and verifier key. Call it before the
// server serves requests.
func (s *Server) AllowAnonymous(routes ...string) {
	if s.public == nil {
		s.public = map[string]bool{}
	}
	for _, r := range routes {
		s.public[routeOf(r)] = true
	}
}
