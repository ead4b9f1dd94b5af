package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// The access log's person index (access_migrations/0002) is a small
// log-structured merge tree. Each indexing transaction writes a run of
// level 0: its entries' (pseudonym, index) pairs sorted and packed
// blockPairs to a row. Once a level holds runFanIn runs they are merged into
// one run of the next level. Every pair is so written once per level, in
// key order, with a B-tree row per block rather than per entry: the index
// it replaced, one row per entry in one tree keyed by random pseudonyms,
// dirtied a page per entry once it outgrew the cache and was half of the
// log's CPU at a million entries. A listing reads a block or two per run;
// with 4,096-entry runs (the indexer's batch) a log of 100 million entries
// reaches level 3 (runs of up to 16.8 million entries), 16 runs per level
// outside a merge. One merge runs at a time, so while a big one takes its
// steps (a level-3 merge: about 2,000) new level-0 runs pile up, and a
// listing probes them all until it ends; merges per level would avoid it.
// A merge moves about
// mergeStepRows pairs per transaction, a slice of the pseudonym space at a
// time, so that the appends, which share the access file's writer, never
// wait long behind it.
const (
	runFanIn = 16
	// blockPairs is the pairs per block: with 32-byte pseudonyms a block
	// (about 900 bytes) stays within its B-tree page, no overflow pages.
	blockPairs = 24
)

// mergeStepRows is about how many pairs a merge moves per transaction (a
// variable so that tests can make merges take many steps).
var mergeStepRows int64 = 8192

// mergeStepsPerIndex bounds the merge steps, each a transaction of its own,
// that one IndexAccesses call takes after indexing its batch.
const mergeStepsPerIndex = 4

// indexPair is one entry of the person index.
type indexPair struct {
	person []byte
	idx    int64
}

func comparePairs(a, b indexPair) int {
	if c := bytes.Compare(a.person, b.person); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

// encodeBlock packs pairs as uvarint(len(person)) person uvarint(idx) each.
func encodeBlock(ps []indexPair) []byte {
	n := 0
	for _, p := range ps {
		n += len(p.person) + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	for _, p := range ps {
		b = binary.AppendUvarint(b, uint64(len(p.person)))
		b = append(b, p.person...)
		b = binary.AppendUvarint(b, uint64(p.idx))
	}
	return b
}

// decodeBlock appends the pairs of b to out. The pseudonyms alias b.
func decodeBlock(b []byte, out []indexPair) ([]indexPair, error) {
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return out, errors.New("corrupt person index block")
		}
		person := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		idx, k := binary.Uvarint(b)
		if k <= 0 || idx > 1<<62 {
			return out, errors.New("corrupt person index block")
		}
		b = b[k:]
		out = append(out, indexPair{person, int64(idx)})
	}
	return out, nil
}

// writeBlocks stores ps, sorted, as blocks of run.
func writeBlocks(ctx context.Context, tx *sql.Tx, run int64, ps []indexPair) error {
	if len(ps) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, "INSERT INTO access_person_blocks (run, first, first_idx, pairs) VALUES (?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer ins.Close()
	for len(ps) > 0 {
		n := min(blockPairs, len(ps))
		if _, err := ins.ExecContext(ctx, run, ps[0].person, ps[0].idx, encodeBlock(ps[:n])); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

// IndexAccesses implements store.AccessLog: it writes the next entries as a
// new run of level 0, then takes a few steps of the merge in progress, or
// starts one if a level is full.
//
// It shares the access file's one writer connection with the appends, which
// wait meanwhile, and its transactions do not sync the WAL
// (synchronous=NORMAL): the next append's commit syncs the file, their
// frames included, and until then a power loss can only take an index
// transaction back whole, run, blocks and marker together. An index update
// that synced on its own put a second sync in the appends' way every
// second.
func (s *Store) IndexAccesses(ctx context.Context, max int) (int64, error) {
	if max <= 0 {
		return 0, errors.New("sqlite: index accesses: max must be positive")
	}
	var indexed int64
	err := inWriteTxUnsynced(ctx, s.log.w, func(tx *sql.Tx) error {
		var size, run int64
		if err := tx.QueryRowContext(ctx, `SELECT i.indexed, l.size, (SELECT coalesce(max(run), 0) + 1 FROM access_person_runs)
			FROM access_index_state i, access_log_state l WHERE i.id = 1 AND l.id = 1`).Scan(&indexed, &size, &run); err != nil {
			return err
		}
		hi := min(size, indexed+int64(max))
		if hi <= indexed {
			return nil
		}
		ps, err := logPairs(ctx, tx, indexed, hi)
		if err != nil {
			return err
		}
		slices.SortFunc(ps, comparePairs)
		if _, err := tx.ExecContext(ctx, "INSERT INTO access_person_runs (run, level, lo, hi) VALUES (?, 0, ?, ?)", run, indexed, hi); err != nil {
			return err
		}
		if err := writeBlocks(ctx, tx, run, ps); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE access_index_state SET indexed = ? WHERE id = 1", hi); err != nil {
			return err
		}
		indexed = hi
		return nil
	})
	// Each entry is merged once per level; with up to mergeStepsPerIndex
	// steps of mergeStepRows pairs per batch of 4,096 entries the merges
	// keep up with 8 levels, more than a log of billions of entries has.
	for i := 0; err == nil && i < mergeStepsPerIndex; i++ {
		var more bool
		err = inWriteTxUnsynced(ctx, s.log.w, func(tx *sql.Tx) (err error) {
			more, err = mergeStep(ctx, tx)
			return err
		})
		if !more {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: index accesses: %w", err)
	}
	s.log.ckpt.committed()
	return indexed, nil
}

// logPairs reads the pairs of the log's entries [lo, hi), in index order.
func logPairs(ctx context.Context, q sqlQuerier, lo, hi int64) ([]indexPair, error) {
	rows, err := q.QueryContext(ctx, "SELECT person, idx FROM access_log WHERE idx >= ? AND idx < ? ORDER BY idx", lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := make([]indexPair, 0, hi-lo)
	for rows.Next() {
		var p indexPair
		if err := rows.Scan(&p.person, &p.idx); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// sqlQuerier is what a read needs of a pool or a transaction.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// runBlocks reads and decodes the blocks of run whose first pair is in
// [from, to), in order.
func runBlocks(ctx context.Context, q sqlQuerier, run int64, from, to []byte) ([]indexPair, error) {
	rows, err := q.QueryContext(ctx, `SELECT pairs FROM access_person_blocks WHERE run = ? AND first >= ? AND first < ?
		ORDER BY first, first_idx`, run, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []indexPair
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		if ps, err = decodeBlock(b, ps); err != nil {
			return nil, err
		}
	}
	return ps, rows.Err()
}

// allPseudonyms is a bound above every pseudonym: they compare as bytes,
// and none is this long.
var allPseudonyms = bytes.Repeat([]byte{0xff}, 256)

// mergeStep moves the next slice of pseudonyms of the merge in progress
// into its run, and ends the merge after the last slice. With no merge in
// progress it starts one, of the lowest level that holds runFanIn runs,
// into a new run of the next level: the runs of a level cover a contiguous
// range of entries (lower levels hold newer ones), so the new run does too.
// The slice's width is set when the merge starts so that a step moves about
// mergeStepRows pairs: pseudonyms are uniform (they are HMACs).
//
// A step takes each source run's blocks that start in the slice; the last
// of them may hold pairs beyond it, which go back as a block of their own,
// so that at every step's start no source block holds a pair below the
// slice.
func mergeStep(ctx context.Context, tx *sql.Tx) (more bool, err error) {
	var run, level, next, width int64
	err = tx.QueryRowContext(ctx, "SELECT run, level, next, width FROM access_person_merge WHERE id = 1").Scan(&run, &level, &next, &width)
	if errors.Is(err, sql.ErrNoRows) {
		var lo, hi int64
		err = tx.QueryRowContext(ctx, `SELECT level, min(lo), max(hi), (SELECT max(run) + 1 FROM access_person_runs)
			FROM access_person_runs GROUP BY level HAVING count(*) >= ? ORDER BY level LIMIT 1`, runFanIn).Scan(&level, &lo, &hi, &run)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		width = max(1, min(1<<16, 1<<16*mergeStepRows/(hi-lo)))
		if _, err := tx.ExecContext(ctx, "INSERT INTO access_person_runs (run, level, lo, hi) VALUES (?, ?, ?, ?)", run, level+1, lo, hi); err != nil {
			return false, err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO access_person_merge (id, run, level, next, width) VALUES (1, ?, ?, 0, ?)", run, level, width)
		return true, err
	}
	if err != nil {
		return false, err
	}
	// The slice [from, to) of pseudonyms, as blobs that compare as their
	// first two bytes do.
	from, to := []byte{}, allPseudonyms
	if next > 0 {
		from = []byte{byte(next >> 8), byte(next)}
	}
	last := next+width >= 1<<16
	if !last {
		to = []byte{byte((next + width) >> 8), byte(next + width)}
	}
	sources, err := int64s(ctx, tx, "SELECT run FROM access_person_runs WHERE level = ? AND run < ?", level, run)
	if err != nil {
		return false, err
	}
	var moved []indexPair
	for _, src := range sources {
		ps, err := runBlocks(ctx, tx, src, from, to)
		if err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM access_person_blocks WHERE run = ? AND first >= ? AND first < ?", src, from, to); err != nil {
			return false, err
		}
		// The pairs at or beyond to can only be the last block's tail.
		cut, _ := slices.BinarySearchFunc(ps, to, func(p indexPair, to []byte) int { return bytes.Compare(p.person, to) })
		if err := writeBlocks(ctx, tx, src, ps[cut:]); err != nil {
			return false, err
		}
		moved = append(moved, ps[:cut]...)
	}
	slices.SortFunc(moved, comparePairs)
	if err := writeBlocks(ctx, tx, run, moved); err != nil {
		return false, err
	}
	if !last {
		_, err := tx.ExecContext(ctx, "UPDATE access_person_merge SET next = ? WHERE id = 1", next+width)
		return true, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM access_person_runs WHERE level = ? AND run < ?", level, run); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM access_person_merge WHERE id = 1")
	return true, err
}

func int64s(ctx context.Context, q sqlQuerier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PersonAccesses implements store.AccessLog. One read transaction, so one
// snapshot: the tail the person index does not cover yet (at most a few of
// the indexer's batches, or more after a crash or an upgrade until it
// catches up) is scanned by index range; for the rest, each run that starts
// before the page's bound gives the blocks that may hold the person (those
// that start with them, and the one before), and only the page's entries
// are then read from the log, their person checked again, so that a stray
// pair cannot show another person's entry.
func (s *Store) PersonAccesses(ctx context.Context, q store.AccessQuery) ([]store.AccessEntry, error) {
	if q.Limit <= 0 {
		return nil, errors.New("sqlite: person accesses: limit must be positive")
	}
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	out, err := func() ([]store.AccessEntry, error) {
		tx, err := s.log.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		var indexed int64
		if err := tx.QueryRowContext(ctx, "SELECT indexed FROM access_index_state WHERE id = 1").Scan(&indexed); err != nil {
			return nil, err
		}
		out, err := scanEntries(ctx, tx, `SELECT idx, person, data FROM access_log
			WHERE idx >= ? AND idx < ? AND person = ? ORDER BY idx DESC LIMIT ?`, indexed, before, q.Person, q.Limit)
		if err != nil || len(out) == q.Limit {
			return out, err
		}
		rows, err := tx.QueryContext(ctx, personBlocksQuery, q.Person, min(before, indexed))
		if err != nil {
			return nil, err
		}
		var found []int64
		var ps []indexPair
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return nil, err
			}
			if ps, err = decodeBlock(b, ps[:0]); err != nil {
				rows.Close()
				return nil, err
			}
			for _, p := range ps {
				if bytes.Equal(p.person, q.Person) && p.idx < before && p.idx < indexed {
					found = append(found, p.idx)
				}
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		slices.SortFunc(found, func(a, b int64) int { return cmp.Compare(b, a) })
		found = slices.Compact(found)
		if want := q.Limit - len(out); len(found) > want {
			found = found[:want]
		}
		if len(found) == 0 {
			return out, nil
		}
		args := []any{q.Person}
		for _, idx := range found {
			args = append(args, idx)
		}
		page, err := scanEntries(ctx, tx, "SELECT idx, person, data FROM access_log WHERE person = ? AND idx IN (?"+
			strings.Repeat(", ?", len(found)-1)+") ORDER BY idx DESC", args...)
		return append(out, page...), err
	}()
	if err != nil {
		return nil, fmt.Errorf("sqlite: person accesses: %w", err)
	}
	return out, nil
}

// personBlocksQuery gives, for every run that starts below ?2, the blocks
// that start with person ?1 and the block before them, which may end with
// them (NULL for a run with none). CROSS JOIN keeps the runs the outer
// loop: a seek per run, never a scan of the blocks.
const personBlocksQuery = `SELECT b.pairs FROM access_person_runs r
	CROSS JOIN access_person_blocks b ON b.run = r.run AND b.first = ?1
	WHERE r.lo < ?2
UNION ALL
SELECT (SELECT b.pairs FROM access_person_blocks b WHERE b.run = r.run AND b.first < ?1
		ORDER BY b.first DESC, b.first_idx DESC LIMIT 1)
	FROM access_person_runs r WHERE r.lo < ?2`

// scanEntries runs a query of (idx, person, data) rows.
func scanEntries(ctx context.Context, q sqlQuerier, query string, args ...any) ([]store.AccessEntry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AccessEntry
	for rows.Next() {
		var e store.AccessEntry
		if err := rows.Scan(&e.Index, &e.Person, &e.Data); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// MissingFromAccessIndex implements store.AccessLog. In one read
// transaction it walks the runs in entry order, a merge's run together with
// the runs it is built from: they must cover the indexed entries without
// gap, and each run must hold the pair of every entry of its range.
func (s *Store) MissingFromAccessIndex(ctx context.Context) (int64, error) {
	missing, err := func() (int64, error) {
		tx, err := s.log.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		var indexed, target, mergeLevel int64
		if err := tx.QueryRowContext(ctx, `SELECT indexed, coalesce(m.run, -1), coalesce(m.level, -1)
			FROM access_index_state LEFT JOIN access_person_merge m ON m.id = 1 WHERE access_index_state.id = 1`).Scan(&indexed, &target, &mergeLevel); err != nil {
			return 0, err
		}
		rows, err := tx.QueryContext(ctx, "SELECT run, level, lo, hi FROM access_person_runs ORDER BY lo, run")
		if err != nil {
			return 0, err
		}
		type unit struct {
			lo, hi int64
			runs   []int64
		}
		var units []*unit
		var merged *unit
		for rows.Next() {
			var run, level, lo, hi int64
			if err := rows.Scan(&run, &level, &lo, &hi); err != nil {
				rows.Close()
				return 0, err
			}
			switch {
			case run == target:
				if merged == nil {
					merged = &unit{}
					units = append(units, merged)
				}
				merged.lo, merged.hi = lo, hi
				merged.runs = append(merged.runs, run)
			case level == mergeLevel && run < target:
				if merged == nil {
					merged = &unit{}
					units = append(units, merged)
				}
				merged.runs = append(merged.runs, run)
			default:
				units = append(units, &unit{lo: lo, hi: hi, runs: []int64{run}})
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return 0, err
		}
		next := int64(0)
		for _, u := range units {
			if u.lo != next {
				return min(u.lo, next), nil // a gap, or runs that overlap
			}
			var held []indexPair
			for _, run := range u.runs {
				ps, err := runBlocks(ctx, tx, run, []byte{}, allPseudonyms)
				if err != nil {
					return 0, err
				}
				held = append(held, ps...)
			}
			slices.SortFunc(held, comparePairs)
			want, err := logPairs(ctx, tx, u.lo, u.hi)
			if err != nil {
				return 0, err
			}
			for _, p := range want { // in index order: the first missing is the smallest
				if _, ok := slices.BinarySearchFunc(held, p, comparePairs); !ok {
					return p.idx, nil
				}
			}
			next = u.hi
		}
		if next != indexed {
			return min(next, indexed), nil
		}
		return -1, nil
	}()
	if err != nil {
		return 0, fmt.Errorf("sqlite: missing from access index: %w", err)
	}
	return missing, nil
}
