package eid

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is where a request came from: its source address (after any
// trusted proxy has been accounted for by the caller) and its User-Agent.
type Client struct {
	Address   string
	UserAgent string
}

// ClientOf returns the Client of a request from its RemoteAddr. Behind a
// reverse proxy, the server's middleware must set RemoteAddr from the
// proxy's header before this is called.
func ClientOf(r *http.Request) Client {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return Client{Address: host, UserAgent: r.UserAgent()}
}

// addressKey is the unit the per-address lock-out counts: an IPv4 address,
// or the /64 of an IPv6 one (one subscriber's prefix, which a guesser
// could otherwise walk through).
func (c Client) addressKey() string {
	a, err := netip.ParseAddr(c.Address)
	if err != nil {
		return "unknown"
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// maskedAddress is the address as the citizen's event list shows it: the
// last part hidden, enough to tell a place from another.
func (c Client) maskedAddress() string {
	a, err := netip.ParseAddr(c.Address)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return netip.AddrFrom4([4]byte{b[0], b[1], b[2], 0}).String() + "/24"
	}
	p, _ := a.Prefix(48)
	return p.String()
}

// device names the kind of browser, as the citizen's pages show it:
// "Chrome on Linux". It reads only the browser family and the platform, so
// it stays the same across browser updates.
func (c Client) device() string {
	ua := c.UserAgent
	browser := "Browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"},
		{"coc_coc_browser", "Cốc Cốc"}, {"Zalo", "Zalo"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"Firefox/", "Firefox"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	platform := ""
	for _, p := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, p.token) {
			platform = p.name
			break
		}
	}
	if platform == "" {
		return browser
	}
	return browser + " on " + platform
}
