package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable dancu reads.
const EnvPrefix = "DANCU_"

// EnvConfig names the configuration file when --config is not given.
const EnvConfig = EnvPrefix + "CONFIG"

// field is one setting that the environment or a flag can set. The table
// of fields is the one place that says which settings exist outside the
// YAML file and under which names.
type field struct {
	key   string // as in the YAML file and in error messages
	env   string
	flag  string // "" when there is no flag (secrets: flags show in ps)
	usage string
	bool  bool
	set   func(c *Config, s string) error
	get   func(c *Config) string
}

func stringField(key, env, flagName, usage string, p func(*Config) *string) field {
	return field{key: key, env: env, flag: flagName, usage: usage,
		set: func(c *Config, s string) error { *p(c) = s; return nil },
		get: func(c *Config) string { return *p(c) },
	}
}

func durationField(key, env, usage string, p func(*Config) *time.Duration) field {
	return field{key: key, env: env, usage: usage,
		set: func(c *Config, s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 30s or 2m", s)
			}
			*p(c) = d
			return nil
		},
		get: func(c *Config) string { return p(c).String() },
	}
}

func intField[T int | int64](key, env, flagName, usage string, p func(*Config) *T) field {
	return field{key: key, env: env, flag: flagName, usage: usage,
		set: func(c *Config, s string) error {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", s)
			}
			*p(c) = T(n)
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(*p(c)), 10) },
	}
}

func boolField(key, env, flagName, usage string, p func(*Config) *bool) field {
	return field{key: key, env: env, flag: flagName, usage: usage, bool: true,
		set: func(c *Config, s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%q is not true or false", s)
			}
			*p(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) },
	}
}

var fields = []field{
	stringField("addr", "DANCU_ADDR", "addr", "listen on `HOST:PORT`", func(c *Config) *string { return &c.Addr }),
	stringField("data", "DANCU_DATA", "data", "data `DIR`; the default SQLite database is DIR/dancu.db", func(c *Config) *string { return &c.Data }),
	{key: "db", env: "DANCU_DB", flag: "db", usage: "store `DSN`: sqlite:PATH or postgres://...",
		set: func(c *Config, s string) error { c.DB = DSN(s); return nil },
		get: func(c *Config) string { return c.DB.String() }},
	stringField("access_log", "DANCU_ACCESS_LOG", "", "", func(c *Config) *string { return &c.AccessLog }),
	{key: "admin_token", env: "DANCU_ADMIN_TOKEN",
		set: func(c *Config, s string) error { c.AdminToken = Secret(s); return nil },
		get: func(c *Config) string { return c.AdminToken.String() }},
	stringField("log.level", "DANCU_LOG_LEVEL", "log-level", "log `LEVEL`: debug, info, warn or error", func(c *Config) *string { return &c.Log.Level }),
	stringField("log.format", "DANCU_LOG_FORMAT", "log-format", "log `FORMAT`: text or json", func(c *Config) *string { return &c.Log.Format }),
	durationField("http.read_header_timeout", "DANCU_HTTP_READ_HEADER_TIMEOUT", "", func(c *Config) *time.Duration { return &c.HTTP.ReadHeaderTimeout }),
	durationField("http.read_timeout", "DANCU_HTTP_READ_TIMEOUT", "", func(c *Config) *time.Duration { return &c.HTTP.ReadTimeout }),
	durationField("http.write_timeout", "DANCU_HTTP_WRITE_TIMEOUT", "", func(c *Config) *time.Duration { return &c.HTTP.WriteTimeout }),
	durationField("http.idle_timeout", "DANCU_HTTP_IDLE_TIMEOUT", "", func(c *Config) *time.Duration { return &c.HTTP.IdleTimeout }),
	durationField("http.shutdown_timeout", "DANCU_HTTP_SHUTDOWN_TIMEOUT", "", func(c *Config) *time.Duration { return &c.HTTP.ShutdownTimeout }),
	intField("http.max_body_bytes", "DANCU_HTTP_MAX_BODY_BYTES", "", "", func(c *Config) *int64 { return &c.HTTP.MaxBodyBytes }),
	boolField("demo.enabled", "DANCU_DEMO", "demo", "fill an empty store with a synthetic population, then serve", func(c *Config) *bool { return &c.Demo.Enabled }),
	intField("demo.citizens", "DANCU_DEMO_CITIZENS", "demo-citizens", "`N` people for --demo", func(c *Config) *int { return &c.Demo.Citizens }),
	intField("demo.seed", "DANCU_DEMO_SEED", "", "", func(c *Config) *int64 { return &c.Demo.Seed }),
	intField("rate_limit.per_address", "DANCU_RATE_LIMIT_PER_ADDRESS", "", "", func(c *Config) *int { return &c.RateLimit.PerAddress }),
	intField("rate_limit.address_burst", "DANCU_RATE_LIMIT_ADDRESS_BURST", "", "", func(c *Config) *int { return &c.RateLimit.AddressBurst }),
	intField("rate_limit.per_agency", "DANCU_RATE_LIMIT_PER_AGENCY", "", "", func(c *Config) *int { return &c.RateLimit.PerAgency }),
	intField("rate_limit.agency_burst", "DANCU_RATE_LIMIT_AGENCY_BURST", "", "", func(c *Config) *int { return &c.RateLimit.AgencyBurst }),
	stringField("rate_limit.trusted_proxies", "DANCU_RATE_LIMIT_TRUSTED_PROXIES", "", "", func(c *Config) *string { return &c.RateLimit.TrustedProxies }),
	stringField("oidc.issuer", "DANCU_OIDC_ISSUER", "", "", func(c *Config) *string { return &c.OIDC.Issuer }),
	stringField("oidc.signing_algorithm", "DANCU_OIDC_SIGNING_ALGORITHM", "", "", func(c *Config) *string { return &c.OIDC.SigningAlgorithm }),
	durationField("oidc.key_rotation", "DANCU_OIDC_KEY_ROTATION", "", func(c *Config) *time.Duration { return &c.OIDC.KeyRotation }),
	durationField("oidc.access_token_ttl", "DANCU_OIDC_ACCESS_TOKEN_TTL", "", func(c *Config) *time.Duration { return &c.OIDC.AccessTokenTTL }),
	durationField("oidc.id_token_ttl", "DANCU_OIDC_ID_TOKEN_TTL", "", func(c *Config) *time.Duration { return &c.OIDC.IDTokenTTL }),
	durationField("oidc.refresh_token_ttl", "DANCU_OIDC_REFRESH_TOKEN_TTL", "", func(c *Config) *time.Duration { return &c.OIDC.RefreshTokenTTL }),
	durationField("oidc.auth_request_ttl", "DANCU_OIDC_AUTH_REQUEST_TTL", "", func(c *Config) *time.Duration { return &c.OIDC.AuthRequestTTL }),
	stringField("verify.dir", "DANCU_VERIFY_DIR", "", "", func(c *Config) *string { return &c.Verify.Dir }),
	intField("verify.max_upload_bytes", "DANCU_VERIFY_MAX_UPLOAD_BYTES", "", "", func(c *Config) *int64 { return &c.Verify.MaxUploadBytes }),
	intField("verify.subscription_limit", "DANCU_VERIFY_SUBSCRIPTION_LIMIT", "", "", func(c *Config) *int { return &c.Verify.SubscriptionLimit }),
	intField("verify.partial_daily_limit", "DANCU_VERIFY_PARTIAL_DAILY_LIMIT", "", "", func(c *Config) *int { return &c.Verify.PartialDailyLimit }),
	intField("verify.batch_lines", "DANCU_VERIFY_BATCH_LINES", "", "", func(c *Config) *int { return &c.Verify.BatchLines }),
	stringField("stats.path", "DANCU_STATS_PATH", "", "", func(c *Config) *string { return &c.Stats.Path }),
	boolField("stats.feed", "DANCU_STATS_FEED", "", "", func(c *Config) *bool { return &c.Stats.Feed }),
	intField("stats.threshold", "DANCU_STATS_THRESHOLD", "", "", func(c *Config) *int64 { return &c.Stats.Threshold }),
	intField("stats.min_public_population", "DANCU_STATS_MIN_PUBLIC_POPULATION", "", "", func(c *Config) *int64 { return &c.Stats.MinPublicPopulation }),
	intField("stats.threads", "DANCU_STATS_THREADS", "", "", func(c *Config) *int { return &c.Stats.Threads }),
	stringField("stats.memory_limit", "DANCU_STATS_MEMORY_LIMIT", "", "", func(c *Config) *string { return &c.Stats.MemoryLimit }),
	durationField("stats.refresh", "DANCU_STATS_REFRESH", "", func(c *Config) *time.Duration { return &c.Stats.Refresh }),
	{key: "nats", env: "DANCU_NATS", flag: "nats", usage: "also publish every outbox message to NATS JetStream at `URL` (nats://...)",
		set: func(c *Config, s string) error { c.NATS = DSN(s); return nil },
		get: func(c *Config) string { return c.NATS.String() }},
	stringField("card.keys_dir", "DANCU_CARD_KEYS_DIR", "", "", func(c *Config) *string { return &c.Card.KeysDir }),
	durationField("card.csca_usage", "DANCU_CARD_CSCA_USAGE", "", func(c *Config) *time.Duration { return &c.Card.CSCAUsage }),
	durationField("card.ds_usage", "DANCU_CARD_DS_USAGE", "", func(c *Config) *time.Duration { return &c.Card.DSUsage }),
	durationField("card.card_validity", "DANCU_CARD_VALIDITY", "", func(c *Config) *time.Duration { return &c.Card.CardValidity }),
	durationField("card.issue_interval", "DANCU_CARD_ISSUE_INTERVAL", "", func(c *Config) *time.Duration { return &c.Card.IssueInterval }),
}

func fieldByFlag(name string) (*field, bool) {
	for i := range fields {
		if fields[i].flag == name {
			return &fields[i], true
		}
	}
	return nil, false
}

// EnvVars returns the environment variables dancu reads, for help texts.
func EnvVars() []string {
	out := []string{EnvConfig}
	for _, f := range fields {
		out = append(out, f.env)
	}
	return out
}

// Flags are the command-line settings of one subcommand. Only the flags
// given on the command line override the file and the environment, so a
// flag's default never hides a value from either.
type Flags struct {
	path *string
	set  map[*field]string
	seq  []*field
}

// Bind adds --config and a flag for each named setting to fs. Names are
// flag names: addr, data, db, demo, demo-citizens, log-level, log-format.
// It panics on an unknown name, a programming error.
//
// A command that opens the store (it binds data or db) gets --key-file and
// --encryption-strict too: the store's documents open only with its keys.
func Bind(fs *flag.FlagSet, names ...string) *Flags {
	fl := &Flags{set: map[*field]string{}}
	if (slices.Contains(names, "db") || slices.Contains(names, "data")) && !slices.Contains(names, "key-file") {
		names = append(slices.Clip(names), "key-file", "encryption-strict")
	}
	fl.path = fs.String("config", "", "YAML configuration `FILE` (or "+EnvConfig+")")
	def := Default()
	for _, name := range names {
		f, ok := fieldByFlag(name)
		if !ok {
			panic("config: no setting has the flag --" + name)
		}
		v := &flagValue{f: f, fl: fl}
		fs.Var(v, name, f.usage+" ("+f.env+")")
		// Show the real default in -help without making it a given value.
		if d := f.get(&def); d != "" && d != "false" && d != "0" {
			fs.Lookup(name).DefValue = d
		}
	}
	return fl
}

// flagValue records a flag's value as given, after checking that it parses.
type flagValue struct {
	f  *field
	fl *Flags
}

func (v *flagValue) String() string {
	if v == nil || v.fl == nil {
		return ""
	}
	return v.fl.set[v.f]
}

func (v *flagValue) Set(s string) error {
	var probe Config
	if err := v.f.set(&probe, s); err != nil {
		return err
	}
	if _, seen := v.fl.set[v.f]; !seen {
		v.fl.seq = append(v.fl.seq, v.f)
	}
	v.fl.set[v.f] = s
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.f.bool }

// Load builds the configuration of a command whose flags have been parsed:
// Default, then the file, then the environment (read with lookupEnv, as
// os.LookupEnv), then the flags; and validates it. The error lists every
// problem found.
func (fl *Flags) Load(lookupEnv func(string) (string, bool)) (Config, error) {
	path := ""
	if fl != nil && fl.path != nil {
		path = *fl.path
	}
	if path == "" {
		path, _ = lookupEnv(EnvConfig)
	}
	cfg, errs := load(path, lookupEnv)
	if fl != nil {
		for _, f := range fl.seq {
			// Flags were checked as they were parsed.
			f.set(&cfg, fl.set[f])
		}
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// load applies the file and the environment to Default.
func load(path string, lookupEnv func(string) (string, bool)) (Config, []error) {
	cfg := Default()
	var errs []error
	if path != "" {
		if err := readFile(path, &cfg); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range fields {
		f := &fields[i]
		// An empty variable counts as unset, so that DANCU_DB= in a unit
		// file does not silently switch the store.
		if s, ok := lookupEnv(f.env); ok && s != "" {
			if err := f.set(&cfg, s); err != nil {
				if f.key == "admin_token" {
					err = errors.New("invalid")
				}
				errs = append(errs, fmt.Errorf("%s (%s): %v", f.key, f.env, err))
			}
		}
	}
	return cfg, errs
}

// readFile decodes a YAML file over cfg. Unknown keys are errors: a
// misspelt setting must not be silently ignored.
func readFile(path string, cfg *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}
