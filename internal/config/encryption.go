package config

import (
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
			func(c *Config) *string { return &c.Encryption.KeyFile }))
}

func (c Config) validateEncryption(bad func(key, format string, args ...any)) {
	db := string(c.DB)
	pg := strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
	if pg && c.Encryption.KeyFile == "" {
		bad("encryption.key_file", "must be set with a PostgreSQL store: every process sharing the database needs the same key file")
	}
}
