package config

import (
	"net"
	"path/filepath"
	"strings"
)

// Encryption configures the encryption of sensitive data at rest (package
// seal): the key-encryption keys that wrap the store's data keys.
type Encryption struct {
	// KeyFile holds the key-encryption keys (mode 0600). Empty means
	// dancu.keys beside the SQLite database, created at the first start;
	// a PostgreSQL store needs it set, since every process sharing the
	// database must use the same keys.
	KeyFile string `yaml:"key_file"`
	// Strict refuses to read a document stored in clear (package sealed,
	// Strict): for a store that dancu keys reseal has sealed whole.
	Strict bool `yaml:"strict"`
}

// KeyFileName is the default key file's name, beside the SQLite database.
const KeyFileName = "dancu.keys"

// KeyFile returns the key file: encryption.key_file, or dancu.keys beside
// the SQLite database.
func (c Config) KeyFile() string {
	if c.Encryption.KeyFile != "" {
		return c.Encryption.KeyFile
	}
	if kind, target := c.Store(); kind == SQLite {
		return filepath.Join(filepath.Dir(target), KeyFileName)
	}
	return ""
}

func init() {
	fields = append(fields,
		stringField("encryption.key_file", "DANCU_ENCRYPTION_KEY_FILE", "key-file",
			"key-encryption key `FILE` (default: dancu.keys beside the SQLite database; required with PostgreSQL)",
			func(c *Config) *string { return &c.Encryption.KeyFile }),
		boolField("encryption.strict", "DANCU_ENCRYPTION_STRICT", "encryption-strict",
			"refuse to read a document stored in clear (after dancu keys reseal)",
			func(c *Config) *bool { return &c.Encryption.Strict }))
}

func (c Config) validateEncryption(bad func(key, format string, args ...any)) {
	db := string(c.DB)
	pg := strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
	if pg && c.Encryption.KeyFile == "" {
		bad("encryption.key_file", "must be set with a PostgreSQL store: every process sharing the database needs the same key file")
	}
	// The default key file sits beside the SQLite database, so it goes
	// wherever the data folder goes (copies, backups of the volume): fine
	// for a trial or a developer, not for a registry that serves others.
	// Serving beyond this machine is what the configuration already treats
	// as production (the default addr is loopback, an http:// issuer only
	// on loopback); serve --demo keeps the default, a demo being a trial.
	if kind, _ := c.Store(); kind == SQLite && c.Encryption.KeyFile == "" && !c.Demo.Enabled && servesBeyondLoopback(c.Addr) {
		bad("encryption.key_file", "must be set to serve beyond this machine (addr %s) with SQLite: the default key file beside the database goes wherever the data folder goes; create one apart with dancu keys init --key-file FILE (only --demo or a loopback addr use the default)", c.Addr)
	}
}

// servesBeyondLoopback reports whether addr listens on more than the
// loopback interface (":8080" and "0.0.0.0:8080" do). An addr that does
// not parse is reported by its own check.
func servesBeyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && checkAddr(addr) == nil && !isLoopbackHost(host)
}
