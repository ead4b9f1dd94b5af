package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dancu/dancu/internal/store"
)

// hashBlock is the number of stored hashes per row of access_hashes; see the
// SQLite backend, which packs them the same way.
const hashBlock = 256

// AppendAccess implements store.AccessLog. The access log's callers wait
// for it, so its statements go to the server in pipelines instead of one
// round trip each: a small batch costs three round trips (BEGIN, one
// pipeline, COMMIT), a large one two more for COPY, which inserts thousands
// of rows faster than a statement can. The state row is updated first,
// guarded by the size and hash count the batch was built on: that takes the
// row's lock, so two processes appending at once are serialised, and the
// one that lost the race matches no row and gets ErrConflict (its
// transaction is rolled back, with whatever else the pipeline did) instead
// of a gap.
func (s *Store) AppendAccess(ctx context.Context, b store.AccessBatch) error {
	for i, e := range b.Entries {
		if e.Index != b.First+int64(i) {
			return fmt.Errorf("postgres: append access: entry %d has index %d, want %d", i, e.Index, b.First+int64(i))
		}
	}
	useCopy := len(b.Entries) >= copyAccessEntries
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(`UPDATE access_log_state SET size = $1, hash_count = $2
			WHERE id = 1 AND size = $3 AND hash_count = $4`,
			b.First+int64(len(b.Entries)), b.HashStart+int64(len(b.Hashes)), b.First, b.HashStart,
		).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return store.ErrConflict
			}
			return nil
		})
		if useCopy {
			// COPY cannot join a pipeline: the state check goes first, so
			// that a conflict costs no COPY.
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return err
			}
			rows := make([][]any, len(b.Entries))
			for i, e := range b.Entries {
				rows[i] = []any{e.Index, e.Person, e.Data}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"access_log"}, []string{"idx", "person", "data"}, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			batch = &pgx.Batch{}
		} else if len(b.Entries) > 0 {
			idx := make([]int64, len(b.Entries))
			person := make([][]byte, len(b.Entries))
			data := make([][]byte, len(b.Entries))
			for i, e := range b.Entries {
				idx[i], person[i], data[i] = e.Index, e.Person, e.Data
			}
			batch.Queue(`INSERT INTO access_log (idx, person, data)
				SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])`, idx, person, data)
		}
		queueHashes(batch, b.HashStart, b.Hashes)
		return tx.SendBatch(ctx, batch).Close()
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return sentinel("append access", store.ErrConflict)
	case sqlState(err) == codeUniqueViolation:
		return sentinel("append access", store.ErrConflict)
	}
	return wrapErr("append access", err)
}

// copyAccessEntries is the batch size from which entries go in with COPY
// rather than in the pipeline.
const copyAccessEntries = 256

// queueHashes queues the statements that pack hashes into blocks; each
// must change one row. The first block may be partial: the new hashes are
// appended to it in the server, on condition that it holds exactly the
// hashes before start, so nothing is read back first.
func queueHashes(batch *pgx.Batch, start int64, hashes [][32]byte) {
	const (
		extend = "UPDATE access_hashes SET hashes = hashes || $2 WHERE block = $1 AND length(hashes) = $3"
		put    = "INSERT INTO access_hashes (block, hashes) VALUES ($1, $2) ON CONFLICT (block) DO UPDATE SET hashes = excluded.hashes"
	)
	block := start / hashBlock
	held := (start % hashBlock) * 32 // bytes already in the first block
	var buf []byte
	flush := func() {
		var qq *pgx.QueuedQuery
		if held > 0 {
			qq = batch.Queue(extend, block, buf, held)
		} else {
			qq = batch.Queue(put, block, buf)
		}
		b, h := block, held
		qq.Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("hash block %d does not hold the %d bytes before this batch", b, h)
			}
			return nil
		})
		block++
		held, buf = 0, nil
	}
	for _, h := range hashes {
		buf = append(buf, h[:]...)
		if held+int64(len(buf)) == hashBlock*32 {
			flush()
		}
	}
	if len(buf) > 0 {
		flush()
	}
}

// AccessLogSize implements store.AccessLog.
func (s *Store) AccessLogSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, "SELECT size FROM access_log_state WHERE id = 1").Scan(&n)
	return n, wrapErr("access log size", err)
}

// AccessEntries implements store.AccessLog.
func (s *Store) AccessEntries(ctx context.Context, from, to int64) ([]store.AccessEntry, error) {
	return s.accessRows(ctx, "access entries",
		"SELECT idx, person, data FROM access_log WHERE idx >= $1 AND idx < $2 ORDER BY idx", from, to)
}

// PersonAccesses implements store.AccessLog. One statement, so one snapshot:
// the entries the person index covers are read through it, and the tail it
// does not cover yet is scanned by index range. The join also checks the
// person, so a stray index row cannot show another person's entry.
func (s *Store) PersonAccesses(ctx context.Context, q store.AccessQuery) ([]store.AccessEntry, error) {
	if q.Limit <= 0 {
		return nil, errors.New("postgres: person accesses: limit must be positive")
	}
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	return s.accessRows(ctx, "person accesses", personAccessesQuery, q.Person, before, q.Limit)
}

const personAccessesQuery = `(SELECT idx, person, data FROM access_log
	WHERE idx >= (SELECT indexed FROM access_index_state WHERE id = 1) AND idx < $2 AND person = $1
	ORDER BY idx DESC LIMIT $3)
UNION ALL
(SELECT a.idx, a.person, a.data FROM access_person p JOIN access_log a ON a.idx = p.idx AND a.person = p.person
	WHERE p.person = $1 AND p.idx < $2 AND p.idx < (SELECT indexed FROM access_index_state WHERE id = 1)
	ORDER BY p.idx DESC LIMIT $3)
ORDER BY idx DESC LIMIT $3`

// IndexAccesses implements store.AccessLog. The index state row is locked
// first, so that concurrent indexers take turns; it is not the row appends
// lock, so indexing and appending do not wait for each other.
func (s *Store) IndexAccesses(ctx context.Context, max int) (int64, error) {
	if max <= 0 {
		return 0, errors.New("postgres: index accesses: max must be positive")
	}
	var indexed int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT indexed FROM access_index_state WHERE id = 1 FOR UPDATE").Scan(&indexed); err != nil {
			return err
		}
		// Read committed: the size read now covers only committed entries.
		var size int64
		if err := tx.QueryRow(ctx, "SELECT size FROM access_log_state WHERE id = 1").Scan(&size); err != nil {
			return err
		}
		hi := min(size, indexed+int64(max))
		if hi <= indexed {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO access_person (person, idx)
			SELECT person, idx FROM access_log WHERE idx >= $1 AND idx < $2 ORDER BY person, idx`, indexed, hi); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE access_index_state SET indexed = $1 WHERE id = 1", hi); err != nil {
			return err
		}
		indexed = hi
		return nil
	})
	if err != nil {
		return 0, wrapErr("index accesses", err)
	}
	return indexed, nil
}

// MissingFromAccessIndex implements store.AccessLog.
func (s *Store) MissingFromAccessIndex(ctx context.Context) (int64, error) {
	var idx int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(min(a.idx), -1) FROM access_log a
		WHERE a.idx < (SELECT indexed FROM access_index_state WHERE id = 1)
		AND NOT EXISTS (SELECT 1 FROM access_person p WHERE p.person = a.person AND p.idx = a.idx)`).Scan(&idx)
	return idx, wrapErr("missing from access index", err)
}

func (s *Store) accessRows(ctx context.Context, what, query string, args ...any) ([]store.AccessEntry, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AccessEntry, error) {
		var e store.AccessEntry
		err := r.Scan(&e.Index, &e.Person, &e.Data)
		return e, err
	})
	return out, wrapErr(what, err)
}

// AccessHashes implements store.AccessLog. It reads each block once, in one
// statement, so all blocks come from one snapshot.
func (s *Store) AccessHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	seen := map[int64]bool{}
	var want []int64
	for _, i := range indexes {
		if i < 0 {
			return nil, sentinel(fmt.Sprintf("access hash %d", i), store.ErrNotFound)
		}
		if b := i / hashBlock; !seen[b] {
			seen[b] = true
			want = append(want, b)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT b.block, b.hashes, st.hash_count
		FROM access_log_state st LEFT JOIN access_hashes b ON b.block = ANY($1) WHERE st.id = 1`, want)
	if err != nil {
		return nil, wrapErr("access hashes", err)
	}
	blocks := map[int64][]byte{}
	var count int64
	for rows.Next() {
		var b *int64
		var data []byte
		if err := rows.Scan(&b, &data, &count); err != nil {
			rows.Close()
			return nil, wrapErr("access hashes", err)
		}
		if b != nil {
			blocks[*b] = data
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrapErr("access hashes", err)
	}
	for k, i := range indexes {
		data := blocks[i/hashBlock]
		off := (i % hashBlock) * 32
		if i >= count || int64(len(data)) < off+32 {
			return nil, sentinel(fmt.Sprintf("access hash %d", i), store.ErrNotFound)
		}
		copy(out[k][:], data[off:off+32])
	}
	return out, nil
}

// PutCheckpoint implements store.AccessLog. The table is locked for the
// check and the insert, so that two signers cannot both pass the size check.
func (s *Store) PutCheckpoint(ctx context.Context, c store.Checkpoint) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE access_checkpoints IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		var largest int64
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(size), -1) FROM access_checkpoints").Scan(&largest); err != nil {
			return err
		}
		switch {
		case c.Size == largest:
			return store.ErrExists
		case c.Size < largest:
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, "INSERT INTO access_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4)",
			c.Size, c.Root[:], c.Note, c.SignedAt.UTC())
		return err
	})
	switch {
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict):
		return sentinel("put checkpoint", err)
	case sqlState(err) == codeUniqueViolation:
		return sentinel("put checkpoint", store.ErrExists)
	}
	return wrapErr("put checkpoint", err)
}

const checkpointCols = "size, root, note, signed_at"

func scanCheckpoint(row pgx.Row) (store.Checkpoint, error) {
	var c store.Checkpoint
	var root []byte
	if err := row.Scan(&c.Size, &root, &c.Note, &c.SignedAt); err != nil {
		return c, err
	}
	if len(root) != len(c.Root) {
		return c, fmt.Errorf("checkpoint %d: root of %d bytes", c.Size, len(root))
	}
	copy(c.Root[:], root)
	c.SignedAt = c.SignedAt.UTC()
	return c, nil
}

// LatestCheckpoint implements store.AccessLog.
func (s *Store) LatestCheckpoint(ctx context.Context) (store.Checkpoint, error) {
	c, err := scanCheckpoint(s.pool.QueryRow(ctx, "SELECT "+checkpointCols+" FROM access_checkpoints ORDER BY size DESC LIMIT 1"))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, sentinel("latest checkpoint", store.ErrNotFound)
	}
	return c, wrapErr("latest checkpoint", err)
}

// Checkpoints implements store.AccessLog.
func (s *Store) Checkpoints(ctx context.Context, afterSize int64, limit int) ([]store.Checkpoint, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+checkpointCols+" FROM access_checkpoints WHERE size > $1 ORDER BY size LIMIT $2", afterSize, limit)
	if err != nil {
		return nil, wrapErr("checkpoints", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Checkpoint, error) { return scanCheckpoint(r) })
	return out, wrapErr("checkpoints", err)
}
