package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/ratelimit"
)

// RateLimit says how the server sheds a flood. Agencies' API clients are
// limited per agency, whatever address they call from; every other request
// that is not the administrator's — the portal, the console, the OAuth and
// OIDC endpoints, and requests with no or a bad token — per client address.
type RateLimit struct {
	PerAddress *ratelimit.Limiter // nil: no limit
	PerAgency  *ratelimit.Limiter // nil: no limit
	// TrustedProxies are the load balancers and reverse proxies whose
	// X-Forwarded-For header names the client. A request from anywhere else
	// is limited by its own address, so the header cannot be forged to
	// dodge the limit.
	TrustedProxies []netip.Prefix
}

// ClientAddr returns the address a request came from: the connection's
// peer, or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one.
func ClientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	peer = peer.Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing before it
		}
		if a = a.Unmap(); !isTrusted(a) {
			return a, true
		}
	}
	return peer, true
}

// allowAddress applies the per-address limit, answering 429 when over it.
func (s *Server) allowAddress(w http.ResponseWriter, r *http.Request) bool {
	if s.limits.PerAddress == nil {
		return true
	}
	a, ok := ClientAddr(r, s.limits.TrustedProxies)
	if !ok {
		return true
	}
	return s.allow(w, s.limits.PerAddress, "addr:"+ratelimit.AddressKey(a), "address")
}

// allowAgency applies the per-agency limit to an agency's client.
func (s *Server) allowAgency(w http.ResponseWriter, agency string) bool {
	return s.allow(w, s.limits.PerAgency, agency, "agency")
}

func (s *Server) allow(w http.ResponseWriter, l *ratelimit.Limiter, key, kind string) bool {
	ok, wait := l.Allow(key)
	if ok {
		return true
	}
	s.metrics.rateLimited.WithLabelValues(kind).Inc()
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeProblem(w, &Problem{
		Status: http.StatusTooManyRequests,
		Title:  http.StatusText(http.StatusTooManyRequests),
		Detail: fmt.Sprintf("Too many requests from this %s; try again in %s.", kind, max(wait, time.Second).Round(time.Second)),
	})
	return false
}
