package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one forward-only schema change of a backend, read from an
// embedded file named NNNN_name.sql. Each backend applies its own in a
// transaction and records them in a schema_migrations table.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations reads the .sql files of dir in fsys in version order. A
// malformed file name or a repeated version is an error: a programming error
// that the backends' tests catch.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]bool{}
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		if seen[v] {
			return nil, fmt.Errorf("store: two migrations with version %d", v)
		}
		seen[v] = true
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: migration %d: %w", v, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}
