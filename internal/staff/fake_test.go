package staff

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// memDir is a hand-written in-memory store.Directory following the
// interface's contract.
type memDir struct {
	mu     sync.Mutex
	recs   map[string]store.DirRecord // kind + "\x00" + id
	nonces map[string]time.Time
	now    func() time.Time
}

func newMemDir(now func() time.Time) *memDir {
	return &memDir{recs: map[string]store.DirRecord{}, nonces: map[string]time.Time{}, now: now}
}

func (d *memDir) DirRecord(_ context.Context, kind, id string) (store.DirRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.recs[kind+"\x00"+id]
	if !ok {
		return store.DirRecord{}, store.ErrNotFound
	}
	return r, nil
}

func (d *memDir) DirRecords(_ context.Context, kind, parent string) ([]store.DirRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []store.DirRecord
	for _, r := range d.recs {
		if r.Kind == kind && (parent == "" || r.Parent == parent) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (d *memDir) PutDirRecord(_ context.Context, r store.DirRecord) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := r.Kind + "\x00" + r.ID
	old, ok := d.recs[k]
	switch {
	case !ok && r.Version != 1:
		return store.ErrConflict
	case ok && r.Version == 1:
		return store.ErrExists
	case ok && r.Version != old.Version+1:
		return store.ErrConflict
	}
	r.Data = append([]byte(nil), r.Data...)
	r.UpdatedAt = d.now()
	d.recs[k] = r
	return nil
}

func (d *memDir) UseNonce(_ context.Context, scope, value string, expires time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := scope + "\x00" + value
	if exp, ok := d.nonces[k]; ok && d.now().Before(exp) {
		return store.ErrExists
	}
	d.nonces[k] = expires
	return nil
}
