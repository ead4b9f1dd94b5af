package api

import "net/http"

// SetBodyLimit gives one route (a path as mounted, such as
// /v1/datasets/{dataset}/records) a body limit of its own instead of the
// server's: bulk uploads stream gigabytes that no other route should accept.
// Call it before the server serves requests.
func (s *Server) SetBodyLimit(route string, n int64) {
	if s.bodyLimits == nil {
		s.bodyLimits = map[string]int64{}
	}
	s.bodyLimits[routeOf(route)] = n
}

// bodyLimit is the body limit of r's route.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if info := infoFrom(r.Context()); info != nil {
		if n, ok := s.bodyLimits[info.route]; ok {
			return n
		}
	}
	return s.maxBody
}
