package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/config"
)

// env is a fake environment.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dancu.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// load parses args as a subcommand with every bindable flag would, and loads.
func load(t *testing.T, args []string, e env) (config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fl := config.Bind(fs, "addr", "data", "db", "demo", "demo-citizens", "log-level", "log-format")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	return fl.Load(e.lookup)
}

func TestDefault_IsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestFlags_LoadPrecedence(t *testing.T) {
	file := writeFile(t, `
addr: 0.0.0.0:9000
data: /srv/file-data
encryption:
  key_file: /srv/keys/dancu.keys
log:
  level: debug
http:
  read_header_timeout: 7s
demo:
  citizens: 500
`)
	tests := []struct {
		name string
		args []string
		env  env
		want func(c *config.Config)
	}{
		{"defaults", nil, nil, func(c *config.Config) {}},
		{"file", []string{"--config", file}, nil, func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens = "0.0.0.0:9000", "/srv/file-data", "debug", 7*time.Second, 500
			c.Encryption.KeyFile = "/srv/keys/dancu.keys"
		}},
		{"file from the environment", nil, env{"DANCU_CONFIG": file}, func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens = "0.0.0.0:9000", "/srv/file-data", "debug", 7*time.Second, 500
			c.Encryption.KeyFile = "/srv/keys/dancu.keys"
		}},
		{"environment over file", []string{"--config", file}, env{
			"DANCU_ADDR": "10.0.0.1:8081", "DANCU_LOG_LEVEL": "warn", "DANCU_HTTP_READ_HEADER_TIMEOUT": "3s",
			"DANCU_DB": "postgres://dancu@db.internal/dancu", "DANCU_ADMIN_TOKEN": "0123456789abcdef-token",
			"DANCU_LOG_FORMAT": "json", "DANCU_DEMO": "true", "DANCU_HTTP_MAX_BODY_BYTES": "4096",
			"DANCU_ENCRYPTION_KEY_FILE": "/etc/dancu/dancu.keys", "DANCU_ENCRYPTION_STRICT": "true",
		}, func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens = "10.0.0.1:8081", "/srv/file-data", "warn", 3*time.Second, 500
			c.Encryption.KeyFile, c.Encryption.Strict = "/etc/dancu/dancu.keys", true
			c.DB, c.AdminToken, c.Log.Format, c.Demo.Enabled, c.HTTP.MaxBodyBytes = "postgres://dancu@db.internal/dancu", "0123456789abcdef-token", "json", true, 4096
		}},
		{"empty variable counts as unset", []string{"--config", file}, env{"DANCU_ADDR": "", "DANCU_DATA": ""}, func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens = "0.0.0.0:9000", "/srv/file-data", "debug", 7*time.Second, 500
			c.Encryption.KeyFile = "/srv/keys/dancu.keys"
		}},
		{"flags over environment and file", []string{"--config", file, "--addr", ":7000", "--data=/tmp/d", "--demo", "--demo-citizens", "42", "--log-level", "error", "--encryption-strict"},
			env{"DANCU_ADDR": "10.0.0.1:8081", "DANCU_DATA": "/env", "DANCU_DEMO": "false"}, func(c *config.Config) {
				c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens, c.Demo.Enabled = ":7000", "/tmp/d", "error", 7*time.Second, 42, true
				c.Encryption.KeyFile, c.Encryption.Strict = "/srv/keys/dancu.keys", true
			}},
		{"flag not given keeps the environment", []string{"--data", "/flag"}, env{"DANCU_ADDR": "10.0.0.1:8081", "DANCU_ENCRYPTION_KEY_FILE": "/k"}, func(c *config.Config) {
			c.Addr, c.Data, c.Encryption.KeyFile = "10.0.0.1:8081", "/flag", "/k"
		}},
		{"flag --config over DANCU_CONFIG", []string{"--config", file}, env{"DANCU_CONFIG": "/does/not/exist.yaml"}, func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.HTTP.ReadHeaderTimeout, c.Demo.Citizens = "0.0.0.0:9000", "/srv/file-data", "debug", 7*time.Second, 500
			c.Encryption.KeyFile = "/srv/keys/dancu.keys"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := load(t, tc.args, tc.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := config.Default()
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   []string // substrings of the error, one per problem
	}{
		{"valid sqlite path", func(c *config.Config) { c.DB = "sqlite:/var/lib/dancu/x.db" }, nil},
		{"valid postgres", func(c *config.Config) {
			c.DB, c.Encryption.KeyFile = "postgresql://u:p@localhost:5432/dancu?sslmode=disable", "/etc/dancu/dancu.keys"
		}, nil},
		{"postgres without a key file", func(c *config.Config) { c.DB = "postgres://localhost/dancu" }, []string{"encryption.key_file"}},
		{"any port", func(c *config.Config) { c.Addr = "127.0.0.1:0" }, nil},
		{"sqlite serving beyond loopback with a key file", func(c *config.Config) { c.Addr, c.Encryption.KeyFile = ":8080", "/etc/dancu/dancu.keys" }, nil},
		{"sqlite serving beyond loopback without a key file", func(c *config.Config) { c.Addr = "0.0.0.0:8080" }, []string{"encryption.key_file: must be set to serve beyond this machine"}},
		{"sqlite serving on every interface without a key file", func(c *config.Config) { c.Addr = ":8080" }, []string{"encryption.key_file"}},
		{"demo beyond loopback keeps the default key file", func(c *config.Config) { c.Addr, c.Demo.Enabled = "0.0.0.0:8080", true }, nil},
		{"sqlite on localhost keeps the default key file", func(c *config.Config) { c.Addr = "localhost:8080" }, nil},
		{"addr without port", func(c *config.Config) { c.Addr = "localhost" }, []string{"addr: "}},
		{"addr with bad port", func(c *config.Config) { c.Addr = "localhost:http" }, []string{"addr: port"}},
		{"addr with port out of range", func(c *config.Config) { c.Addr = ":70000" }, []string{"addr: port"}},
		{"empty data", func(c *config.Config) { c.Data = "" }, []string{"data: must not be empty"}},
		{"unknown db scheme", func(c *config.Config) { c.DB = "mysql://x" }, []string{"db: must start with"}},
		{"sqlite without a path", func(c *config.Config) { c.DB = "sqlite:" }, []string{"db: sqlite: needs a file path"}},
		{"access log on another disk", func(c *config.Config) { c.AccessLog = "/srv/log-disk/dancu-access.db" }, nil},
		{"access log with postgres", func(c *config.Config) {
			c.DB, c.Encryption.KeyFile, c.AccessLog = "postgres://localhost/dancu", "/etc/dancu/dancu.keys", "/srv/a.db"
		}, []string{"access_log: is for the SQLite store only"}},
		{"access log is the database", func(c *config.Config) {
			c.DB, c.AccessLog = "sqlite:/var/lib/dancu/x.db", "/var/lib/dancu/./x.db"
		}, []string{"access_log: must not be the database file"}},
		{"short token", func(c *config.Config) { c.AdminToken = "short" }, []string{"admin_token: must be at least 16"}},
		{"bad level", func(c *config.Config) { c.Log.Level = "verbose" }, []string{"log.level"}},
		{"bad format", func(c *config.Config) { c.Log.Format = "xml" }, []string{"log.format"}},
		{"zero timeout", func(c *config.Config) { c.HTTP.ReadHeaderTimeout = 0 }, []string{"http.read_header_timeout"}},
		{"tiny body limit", func(c *config.Config) { c.HTTP.MaxBodyBytes = 10 }, []string{"http.max_body_bytes"}},
		{"no demo citizens", func(c *config.Config) { c.Demo.Citizens = 0 }, []string{"demo.citizens"}},
		{"every problem at once", func(c *config.Config) {
			c.Addr, c.Data, c.Log.Level, c.Log.Format, c.HTTP.ShutdownTimeout, c.DB = "x", "", "loud", "xml", -1, "ftp://x"
		}, []string{"addr: ", "data: ", "log.level", "log.format", "http.shutdown_timeout", "db: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.change(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Errorf("%d problems reported, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestFlags_LoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // YAML; "" for no file
		args []string
		env  env
		want []string
	}{
		{"unknown key in file", "adress: x\n", nil, nil, []string{"field adress not found"}},
		{"bad duration in file", "http:\n  idle_timeout: forever\n", nil, nil, []string{"config file"}},
		{"bad env values, all reported", "", nil, env{
			"DANCU_HTTP_READ_TIMEOUT": "soon", "DANCU_DEMO": "maybe", "DANCU_DEMO_CITIZENS": "many", "DANCU_LOG_LEVEL": "loud",
		}, []string{"http.read_timeout (DANCU_HTTP_READ_TIMEOUT)", "demo.enabled (DANCU_DEMO)", "demo.citizens (DANCU_DEMO_CITIZENS)", "log.level"}},
		{"bad flag value", "", []string{"--demo-citizens", "lots"}, nil, []string{"invalid value"}},
		{"missing file", "", []string{"--config", "/no/such/dancu.yaml"}, nil, []string{"config file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeFile(t, tc.file)}, args...)
			}
			_, err := load(t, args, tc.env)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSecret_NeverPrinted(t *testing.T) {
	const token = "s3cret-admin-token-value"
	const password = "pa55word"
	c := config.Default()
	c.AdminToken = token
	c.DB = "postgres://dancu:" + password + "@db.internal:5432/dancu?sslmode=require"

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c, "token", c.AdminToken)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", c, "token", c.AdminToken)
	j, _ := json.Marshal(c)
	outputs := map[string]string{
		"String":   c.String(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		"token %s": fmt.Sprintf("%s", c.AdminToken),
		"token %q": fmt.Sprintf("%q", c.AdminToken),
		"token %x": fmt.Sprintf("%x", c.AdminToken),
		"json":     string(j),
		"slog":     logs.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, token) || strings.Contains(out, password) {
			t.Errorf("%s shows a secret: %s", name, out)
		}
	}
	if !strings.Contains(c.String(), "db.internal") {
		t.Errorf("String() hides more than the secrets: %s", c.String())
	}
	if c.AdminToken.Reveal() != token || !strings.Contains(c.DB.Reveal(), password) {
		t.Error("Reveal does not return the token")
	}

	// Errors about a bad token or a bad URL do not quote them either.
	c.AdminToken = "short-secret"
	c.DB = "postgres://dancu:" + password + "@/"
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "short-secret") || strings.Contains(err.Error(), password) {
		t.Errorf("Validate() = %v", err)
	}
}

func TestConfig_Store(t *testing.T) {
	tests := []struct {
		db, data         string
		kind, wantTarget string
	}{
		{"", "/srv/d", config.SQLite, filepath.Join("/srv/d", "dancu.db")},
		{"sqlite:/tmp/x.db", "/srv/d", config.SQLite, "/tmp/x.db"},
		{"postgres://h/db", "/srv/d", config.Postgres, "postgres://h/db"},
	}
	for _, tc := range tests {
		c := config.Default()
		c.DB, c.Data = config.DSN(tc.db), tc.data
		if kind, target := c.Store(); kind != tc.kind || target != tc.wantTarget {
			t.Errorf("Store() for db=%q = %s %s, want %s %s", tc.db, kind, target, tc.kind, tc.wantTarget)
		}
	}
}

func TestBind_Help(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	config.Bind(fs, "addr", "demo")
	fs.PrintDefaults()
	for _, want := range []string{"-addr HOST:PORT", "(default 127.0.0.1:8080)", "DANCU_ADDR", "-demo\n", "-config FILE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestConfig_ValidateRateLimit(t *testing.T) {
	c := config.Default()
	c.RateLimit = config.RateLimit{PerAddress: -1, PerAgency: 10, AgencyBurst: 0, TrustedProxies: "10.0.0.0/8, nonsense"}
	err := c.Validate()
	for _, want := range []string{"rate_limit.per_address: must not be negative", "rate_limit.agency_burst: must be at least 1", `rate_limit.trusted_proxies: "nonsense"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	c.RateLimit = config.RateLimit{TrustedProxies: "10.0.0.0/8,192.0.2.7, 2001:db8::/32"}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if got := fmt.Sprint(c.RateLimit.Proxies()); got != "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]" {
		t.Errorf("Proxies() = %s", got)
	}
}

func TestServices_Validate(t *testing.T) {
	c := config.Default()
	if len(c.Services.Holidays) == 0 || c.Validate() != nil {
		t.Fatalf("default services section: %v, %v", c.Services, c.Validate())
	}
	c.Services.Holidays = append(c.Services.Holidays, "2026-13-01", "1/5/2026")
	c.Services.MaxUploadBytes = 10
	err := c.Validate()
	for _, want := range []string{"services.holidays[11]", "services.holidays[12]", "services.max_upload_bytes"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want a problem with %s", err, want)
		}
	}
}
