package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything a dancu process can be configured with.
type Config struct {
	// Addr is where serve listens, HOST:PORT.
	Addr string `yaml:"addr"`
	// Data is the data folder: the default SQLite database lives there.
	Data string `yaml:"data"`
	// DB selects the store: "sqlite:PATH" or "postgres://...". Empty means
	// SQLite at Data/dancu.db.
	DB DSN `yaml:"db"`
	// AccessLog is the SQLite store's access-log file; empty means beside
	// the database (dancu.db keeps it in dancu-access.db). A disk of its
	// own spares its commits, one per group of logged reads, from waiting
	// behind the registry's.
	AccessLog string `yaml:"access_log"`
	// AdminToken, if set, is the bootstrap administrator's bearer token;
	// otherwise one is generated at first start and printed once.
	AdminToken Secret `yaml:"admin_token"`
	Log        Log    `yaml:"log"`
	HTTP       HTTP   `yaml:"http"`
	Demo       Demo   `yaml:"demo"`
	// Services configures the online public services.
	Services Services `yaml:"services"`
	// NATS, if set, is the nats:// URL of a NATS server with JetStream to
	// which serve publishes every outbox message (package feed). It may
	// hold credentials, so it prints redacted like DB.
	NATS DSN `yaml:"nats"`
	// RateLimit sheds floods: see RateLimit.
	RateLimit RateLimit `yaml:"rate_limit"`
	// OIDC configures the OpenID Connect provider for relying parties.
	OIDC OIDC `yaml:"oidc"`
	// EID and SMS configure citizens' accounts and their one-time codes.
	EID  EID  `yaml:"eid"`
	SMS  SMS  `yaml:"sms"`
	Card Card `yaml:"card"`
	// Verify configures demographic verification and bulk jobs (package
	// match).
	Verify Verify `yaml:"verify"`
	// Stats configures the analytics store (package stats).
	Stats Stats `yaml:"stats"`
	// Encryption configures the keys of the encryption at rest.
	Encryption Encryption `yaml:"encryption"`
}

// Stats configures the analytics store and the published statistics.
type Stats struct {
	// Path is the DuckDB file; empty means stats.duckdb beside the SQLite
	// database, or in the data folder.
	Path string `yaml:"path"`
	// Feed runs the outbox feeder in serve (one process only).
	Feed bool `yaml:"feed"`
	// Threshold is the smallest count published without suppression.
	Threshold int64 `yaml:"threshold"`
	// MinPublicPopulation is the smallest group a filtered public query
	// may select; 0 means ten times Threshold.
	MinPublicPopulation int64 `yaml:"min_public_population"`
	// Threads and MemoryLimit bound DuckDB (0 and "": its defaults).
	Threads     int    `yaml:"threads"`
	MemoryLimit string `yaml:"memory_limit"`
	// Refresh is how often dataset links are reloaded.
	Refresh time.Duration `yaml:"refresh"`
}

// StatsPath returns the analytics store's file: stats.path, or beside the
// SQLite database, or in the data folder.
func (c Config) StatsPath() string {
	if c.Stats.Path != "" {
		return c.Stats.Path
	}
	if kind, target := c.Store(); kind == SQLite {
		return filepath.Join(filepath.Dir(target), "stats.duckdb")
	}
	return filepath.Join(c.Data, "stats.duckdb")
}

// Verify configures demographic verification and bulk verification jobs.
type Verify struct {
	// Dir holds the jobs' uploaded and result files; empty means
	// DATA/verify.
	Dir string `yaml:"dir"`
	// MaxUploadBytes bounds one uploaded subscriber list.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// SubscriptionLimit is how many lines of one list may name one PIN
	// before the further ones are OVER_LIMIT.
	SubscriptionLimit int `yaml:"subscription_limit"`
	// PartialDailyLimit is an agency's daily quota of partial-match
	// verifications where its grant sets none.
	PartialDailyLimit int `yaml:"partial_daily_limit"`
	// BatchLines is how many lines a job answers per store query and
	// checkpoint.
	BatchLines int `yaml:"batch_lines"`
}

// VerifyDir returns the folder of the verification jobs' files.
func (c Config) VerifyDir() string {
	if c.Verify.Dir != "" {
		return c.Verify.Dir
	}
	return filepath.Join(c.Data, "verify")
}

// RateLimit configures the request limits (package ratelimit): agencies'
// API clients per agency, everyone else but the administrator per client
// address. The rates are for all the serve processes sharing a store
// together; each takes an equal share. A rate of 0 turns a limit off.
type RateLimit struct {
	PerAddress   int `yaml:"per_address"` // requests per second
	AddressBurst int `yaml:"address_burst"`
	PerAgency    int `yaml:"per_agency"` // requests per second
	AgencyBurst  int `yaml:"agency_burst"`
	// TrustedProxies lists, comma-separated, the CIDR ranges of the load
	// balancers whose X-Forwarded-For header names the client.
	TrustedProxies string `yaml:"trusted_proxies"`
}

// Proxies returns TrustedProxies parsed; call it on a valid Config.
func (r RateLimit) Proxies() []netip.Prefix {
	out, _ := parsePrefixes(r.TrustedProxies)
	return out
}

func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR range or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// OIDC configures the OpenID Connect provider (package oidc).
type OIDC struct {
	// Issuer is the provider's public URL, as relying parties reach it
	// (https://id.example.vn). Empty: the address serve listens on, which
	// is right only for development.
	Issuer string `yaml:"issuer"`
	// SigningAlgorithm signs ID tokens: ES256 (default, fast) or RS256.
	SigningAlgorithm string `yaml:"signing_algorithm"`
	// KeyRotation is how long one signing key signs before the next takes
	// over; an old key stays published until tokens it signed expire.
	KeyRotation time.Duration `yaml:"key_rotation"`
	// Lifetimes of what the provider issues.
	AccessTokenTTL  time.Duration `yaml:"access_token_ttl"`
	IDTokenTTL      time.Duration `yaml:"id_token_ttl"`
	RefreshTokenTTL time.Duration `yaml:"refresh_token_ttl"`
	// AuthRequestTTL bounds the time from the relying party's request to
	// the code's exchange (sign-in and consent included).
	AuthRequestTTL time.Duration `yaml:"auth_request_ttl"`
}

// Card configures the chip ID cards: where the signing keys live and how
// the Country Signing CA and document signers rotate (ICAO Doc 9303 part
// 12).
type Card struct {
	// KeysDir is the folder of the file key store; empty means
	// <data>/card-keys.
	KeysDir string `yaml:"keys_dir"`
	// CSCAUsage is how long a CSCA key signs document signers before the
	// next CSCA takes over.
	CSCAUsage time.Duration `yaml:"csca_usage"`
	// DSUsage is how long a document signer signs cards before the next.
	DSUsage time.Duration `yaml:"ds_usage"`
	// CardValidity is how long a DS certificate outlives its usage: the
	// longest a card it signed must verify.
	CardValidity time.Duration `yaml:"card_validity"`
	// IssueInterval is how often serve turns new id_card_issued events
	// into cards and checks the key schedule.
	IssueInterval time.Duration `yaml:"issue_interval"`
}

// Log configures the process log.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// HTTP configures the HTTP server. The timeouts exist so that slow or
// stalled clients cannot hold connections and goroutines for ever.
type HTTP struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds how long a stopping server waits for requests
	// in flight.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
}

// Demo configures serve --demo.
type Demo struct {
	// Enabled fills an empty store with a synthetic population at start.
	Enabled  bool  `yaml:"enabled"`
	Citizens int   `yaml:"citizens"`
	Seed     int64 `yaml:"seed"`
}

// Default returns the configuration used where nothing else is said. It
// listens on the loopback interface only: exposing a population registry
// must be a decision, not a default.
func Default() Config {
	return Config{
		Addr: "127.0.0.1:8080",
		Data: "./dancu-data",
		Log:  Log{Level: "info", Format: "text"},
		HTTP: HTTP{
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   20 * time.Second,
			MaxBodyBytes:      1 << 20,
		},
		Demo: Demo{Citizens: 100_000, Seed: 1},
		// A person at a browser makes a few requests a second; an address
		// over 100 a second is a script. Agencies are limited well above
		// what one process serves, as a fuse against a runaway client.
		RateLimit: RateLimit{PerAddress: 100, AddressBurst: 200, PerAgency: 20_000, AgencyBurst: 40_000},
		OIDC: OIDC{
			SigningAlgorithm: "ES256",
			KeyRotation:      30 * 24 * time.Hour,
			AccessTokenTTL:   10 * time.Minute,
			IDTokenTTL:       10 * time.Minute,
			RefreshTokenTTL:  30 * 24 * time.Hour,
			AuthRequestTTL:   15 * time.Minute,
		},
		Services: defaultServices(),
		EID:      defaultEID(),
		SMS:      defaultSMS(),
		Card: Card{
			CSCAUsage:     3 * 365 * 24 * time.Hour,
			DSUsage:       90 * 24 * time.Hour,
			CardValidity:  30 * 365 * 24 * time.Hour,
			IssueInterval: 10 * time.Second,
		},
		Verify: Verify{MaxUploadBytes: 4 << 30, SubscriptionLimit: 3, PartialDailyLimit: 10_000,
			BatchLines: 8192},
		Stats: Stats{Feed: true, Threshold: 10, Refresh: 5 * time.Minute},
	}
}

// CardKeysDir returns the folder of the card signing keys.
func (c Config) CardKeysDir() string {
	if c.Card.KeysDir != "" {
		return c.Card.KeysDir
	}
	return filepath.Join(c.Data, "card-keys")
}

// Store kinds, as Store returns them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store returns the backend the configuration selects and its target: a
// file path for SQLite, the URL for PostgreSQL. Call it on a valid Config.
func (c Config) Store() (kind, target string) {
	db := string(c.DB)
	switch {
	case db == "":
		return SQLite, filepath.Join(c.Data, "dancu.db")
	case strings.HasPrefix(db, "sqlite:"):
		return SQLite, strings.TrimPrefix(db, "sqlite:")
	}
	return Postgres, db
}

// LogLevel returns Log.Level as a slog level (info if it is not valid).
func (c Config) LogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Validate reports every problem of the configuration, joined, or nil.
// Messages name the setting as in the YAML file; they never quote a secret.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if err := checkAddr(c.Addr); err != nil {
		bad("addr", "%v", err)
	}
	if c.Data == "" {
		bad("data", "must not be empty")
	}
	switch db := string(c.DB); {
	case db == "":
	case strings.HasPrefix(db, "sqlite:"):
		if strings.TrimPrefix(db, "sqlite:") == "" {
			bad("db", "sqlite: needs a file path, as in sqlite:/var/lib/dancu/dancu.db")
		}
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		// The URL may hold a password: say what is wrong, not what it is.
		if u, err := url.Parse(db); err != nil || u.Host == "" && u.Query().Get("host") == "" {
			bad("db", "not a valid postgres:// URL")
		}
	default:
		bad("db", "must start with sqlite: or postgres://")
	}
	if c.AccessLog != "" {
		if kind, target := c.Store(); kind != SQLite {
			bad("access_log", "is for the SQLite store only (PostgreSQL keeps the access log in its database)")
		} else if filepath.Clean(c.AccessLog) == filepath.Clean(target) {
			bad("access_log", "must not be the database file itself")
		}
	}
	if n := string(c.NATS); n != "" {
		if u, err := url.Parse(n); err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			bad("nats", "not a nats:// or tls:// URL")
		}
	}
	if n := len(c.AdminToken); n > 0 && n < 16 {
		bad("admin_token", "must be at least 16 characters (it has %d)", n)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"http.read_header_timeout", c.HTTP.ReadHeaderTimeout},
		{"http.read_timeout", c.HTTP.ReadTimeout},
		{"http.write_timeout", c.HTTP.WriteTimeout},
		{"http.idle_timeout", c.HTTP.IdleTimeout},
		{"http.shutdown_timeout", c.HTTP.ShutdownTimeout},
		{"card.csca_usage", c.Card.CSCAUsage},
		{"card.ds_usage", c.Card.DSUsage},
		{"card.card_validity", c.Card.CardValidity},
		{"card.issue_interval", c.Card.IssueInterval},
	} {
		if d.v <= 0 {
			bad(d.key, "must be positive (it is %s)", d.v)
		}
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", "must be at least 1024 (it is %d)", c.HTTP.MaxBodyBytes)
	}
	if c.Card.DSUsage > c.Card.CSCAUsage {
		bad("card.ds_usage", "must not be longer than card.csca_usage")
	}
	if c.Demo.Citizens < 1 {
		bad("demo.citizens", "must be at least 1 (it is %d)", c.Demo.Citizens)
	}
	if c.Stats.Threshold < 1 {
		bad("stats.threshold", "must be at least 1 (it is %d)", c.Stats.Threshold)
	}
	if c.Stats.MinPublicPopulation < 0 {
		bad("stats.min_public_population", "must not be negative (it is %d)", c.Stats.MinPublicPopulation)
	}
	if c.Stats.Threads < 0 {
		bad("stats.threads", "must not be negative (it is %d)", c.Stats.Threads)
	}
	if c.Stats.Refresh < time.Second {
		bad("stats.refresh", "must be at least 1s (it is %s)", c.Stats.Refresh)
	}
	if c.Demo.Seed < 0 {
		bad("demo.seed", "must not be negative (it is %d)", c.Demo.Seed)
	}
	if c.Verify.MaxUploadBytes < 1024 {
		bad("verify.max_upload_bytes", "must be at least 1024 (it is %d)", c.Verify.MaxUploadBytes)
	}
	if c.Verify.SubscriptionLimit < 1 {
		bad("verify.subscription_limit", "must be at least 1 (it is %d)", c.Verify.SubscriptionLimit)
	}
	if c.Verify.PartialDailyLimit < 1 {
		bad("verify.partial_daily_limit", "must be at least 1 (it is %d)", c.Verify.PartialDailyLimit)
	}
	if c.Verify.BatchLines < 1 || c.Verify.BatchLines > 1_000_000 {
		bad("verify.batch_lines", "must be from 1 to 1000000 (it is %d)", c.Verify.BatchLines)
	}
	for _, l := range []struct {
		key         string
		rate, burst int
	}{
		{"rate_limit.per_address", c.RateLimit.PerAddress, c.RateLimit.AddressBurst},
		{"rate_limit.per_agency", c.RateLimit.PerAgency, c.RateLimit.AgencyBurst},
	} {
		if l.rate < 0 {
			bad(l.key, "must not be negative (it is %d; 0 turns the limit off)", l.rate)
		}
		if l.rate > 0 && l.burst < 1 {
			bad(strings.Replace(l.key, "per_", "", 1)+"_burst", "must be at least 1 when the limit is on (it is %d)", l.burst)
		}
	}
	if _, err := parsePrefixes(c.RateLimit.TrustedProxies); err != nil {
		bad("rate_limit.trusted_proxies", "%v", err)
	}
	if iss := c.OIDC.Issuer; iss != "" {
		u, err := url.Parse(iss)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			bad("oidc.issuer", "not an absolute https:// URL")
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			bad("oidc.issuer", "must be https:// (http:// only on loopback, for development)")
		case u.Path != "" || u.RawQuery != "" || u.Fragment != "":
			bad("oidc.issuer", "must be an origin only (no path, query or fragment), as in https://id.example.vn")
		}
	}
	if a := c.OIDC.SigningAlgorithm; a != "ES256" && a != "RS256" {
		bad("oidc.signing_algorithm", "%q is not one of ES256, RS256", a)
	}
	for _, d := range []struct {
		key      string
		v, least time.Duration
	}{
		{"oidc.key_rotation", c.OIDC.KeyRotation, time.Hour},
		{"oidc.access_token_ttl", c.OIDC.AccessTokenTTL, 30 * time.Second},
		{"oidc.id_token_ttl", c.OIDC.IDTokenTTL, 30 * time.Second},
		{"oidc.refresh_token_ttl", c.OIDC.RefreshTokenTTL, time.Minute},
		{"oidc.auth_request_ttl", c.OIDC.AuthRequestTTL, time.Minute},
	} {
		if d.v < d.least {
			bad(d.key, "must be at least %s (it is %s)", d.least, d.v)
		}
	}
	c.Services.validate(bad)
	c.validateEID(bad)
	c.validateEncryption(bad)
	return errors.Join(errs...)
}

// isLoopbackHost reports whether host names this machine.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// DSN names a store (sqlite:PATH or postgres://...). A PostgreSQL URL may
// hold a password, so every way of printing a DSN replaces it; Reveal
// returns the DSN itself.
type DSN string

// Reveal returns the DSN with its password, for opening the store.
func (d DSN) Reveal() string { return string(d) }

// String returns the DSN with any password replaced.
func (d DSN) String() string { return redactDSN(string(d)) }

// GoString keeps %#v from printing the password.
func (d DSN) GoString() string { return strconv.Quote(d.String()) }

// Format makes every fmt verb print the redacted form.
func (d DSN) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		f.Write([]byte(strconv.Quote(d.String())))
		return
	}
	f.Write([]byte(d.String()))
}

// LogValue makes slog print the redacted form.
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.String()) }

// MarshalText makes encoders write the redacted form.
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a DSN from a configuration file.
func (d *DSN) UnmarshalText(b []byte) error { *d = DSN(b); return nil }

func redactDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") &&
		!strings.HasPrefix(dsn, "nats://") && !strings.HasPrefix(dsn, "tls://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://[unparsable, redacted]"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	// A user without a password is a secret too: NATS token authentication
	// puts the token there, and url.Redacted keeps it.
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

// String describes the configuration with its secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("addr=%s data=%s db=%s admin_token=%s log.level=%s log.format=%s "+
		"http.read_header_timeout=%s http.read_timeout=%s http.write_timeout=%s http.idle_timeout=%s "+
		"http.shutdown_timeout=%s http.max_body_bytes=%d demo.enabled=%t demo.citizens=%d demo.seed=%d",
		c.Addr, c.Data, c.DB.String(), c.AdminToken, c.Log.Level, c.Log.Format,
		c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout, c.HTTP.WriteTimeout, c.HTTP.IdleTimeout,
		c.HTTP.ShutdownTimeout, c.HTTP.MaxBodyBytes, c.Demo.Enabled, c.Demo.Citizens, c.Demo.Seed)
}

// LogValue logs the configuration with its secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("data", c.Data),
		slog.String("db", c.DB.String()),
		slog.Any("admin_token", c.AdminToken),
		slog.String("log_level", c.Log.Level),
		slog.String("log_format", c.Log.Format),
		slog.Int64("max_body_bytes", c.HTTP.MaxBodyBytes),
		slog.Bool("demo", c.Demo.Enabled),
	)
}

// Secret is a configuration value that must never be shown: every way of
// printing it prints a placeholder. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// String returns a placeholder, or "" if the secret is not set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// Format makes every fmt verb print the placeholder (%x and %q included).
func (s Secret) Format(f fmt.State, _ rune) { f.Write([]byte(s.String())) }

// LogValue makes slog print the placeholder.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText makes encoders (JSON, YAML) write the placeholder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a secret from a configuration file.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }
