package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// hashBlock is the number of stored hashes per row of access_hashes. A block
// of 8 KiB is a few pages: appends rewrite at most one partial block, and a
// proof reads about one block per tree level.
const hashBlock = 256

// AppendAccess implements store.AccessLog. The whole batch is one write
// transaction, which is what makes the log's group commit cheap: one WAL
// sync for thousands of entries. Its statements are prepared once on the
// writer (writeStmts): compiling them again for every batch cost a third of
// the append's CPU, and callers wait for it.
func (s *Store) AppendAccess(ctx context.Context, b store.AccessBatch) error {
	for i, e := range b.Entries {
		if e.Index != b.First+int64(i) {
			return fmt.Errorf("sqlite: append access: entry %d has index %d, want %d", i, e.Index, b.First+int64(i))
		}
	}
	err := inWriteTx(ctx, s.log.w, func(tx *sql.Tx) error {
		var size, count int64
		if err := tx.StmtContext(ctx, s.log.ws.state).QueryRowContext(ctx).Scan(&size, &count); err != nil {
			return err
		}
		if size != b.First || count != b.HashStart {
			return store.ErrConflict
		}
		if err := s.insertEntries(ctx, tx, b.Entries); err != nil {
			return err
		}
		if err := s.appendHashes(ctx, tx, b.HashStart, b.Hashes); err != nil {
			return err
		}
		_, err := tx.StmtContext(ctx, s.log.ws.setState).ExecContext(ctx,
			b.First+int64(len(b.Entries)), b.HashStart+int64(len(b.Hashes)))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("sqlite: append access: log is not at index %d: %w", b.First, err)
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: append access: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: append access: %w", err)
	}
	s.log.ckpt.committed()
	return nil
}

// entriesPerInsert is the rows of one multi-row INSERT into access_log: a
// statement execution costs far more than a row through database/sql and
// the driver, and 3*128 parameters stay well under SQLite's limit.
const entriesPerInsert = 128

const insertEntrySQL = "INSERT INTO access_log (idx, person, data) VALUES (?, ?, ?)"

var insertEntriesSQL = insertEntrySQL + strings.Repeat(", (?, ?, ?)", entriesPerInsert-1)

// insertEntries inserts entries entriesPerInsert at a time, the rest one by
// one.
func (s *Store) insertEntries(ctx context.Context, tx *sql.Tx, es []store.AccessEntry) error {
	if len(es) >= entriesPerInsert {
		ins := tx.StmtContext(ctx, s.log.ws.insEntries)
		args := make([]any, 0, 3*entriesPerInsert)
		for len(es) >= entriesPerInsert {
			args = args[:0]
			for _, e := range es[:entriesPerInsert] {
				args = append(args, e.Index, e.Person, e.Data)
			}
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return err
			}
			es = es[entriesPerInsert:]
		}
	}
	if len(es) == 0 {
		return nil
	}
	one := tx.StmtContext(ctx, s.log.ws.insEntry)
	for _, e := range es {
		if _, err := one.ExecContext(ctx, e.Index, e.Person, e.Data); err != nil {
			return err
		}
	}
	return nil
}

// appendHashes packs hashes into blocks, extending the last partial block.
func (s *Store) appendHashes(ctx context.Context, tx *sql.Tx, start int64, hashes [][32]byte) error {
	if len(hashes) == 0 {
		return nil
	}
	block := start / hashBlock
	var buf []byte
	if start%hashBlock != 0 {
		if err := tx.StmtContext(ctx, s.log.ws.hashBlock).QueryRowContext(ctx, block).Scan(&buf); err != nil {
			return fmt.Errorf("read partial hash block: %w", err)
		}
		if int64(len(buf)) != (start%hashBlock)*32 {
			return fmt.Errorf("hash block %d holds %d bytes, want %d", block, len(buf), (start%hashBlock)*32)
		}
	}
	up := tx.StmtContext(ctx, s.log.ws.putHashes)
	for _, h := range hashes {
		buf = append(buf, h[:]...)
		if len(buf) == hashBlock*32 {
			if _, err := up.ExecContext(ctx, block, buf); err != nil {
				return err
			}
			block++
			buf = buf[:0:0]
		}
	}
	if len(buf) > 0 {
		if _, err := up.ExecContext(ctx, block, buf); err != nil {
			return err
		}
	}
	return nil
}

// AccessLogSize implements store.AccessLog.
func (s *Store) AccessLogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.log.r.QueryRowContext(ctx, "SELECT size FROM access_log_state WHERE id = 1").Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: access log size: %w", err)
	}
	return n, nil
}

// AccessEntries implements store.AccessLog.
func (s *Store) AccessEntries(ctx context.Context, from, to int64) ([]store.AccessEntry, error) {
	es, err := scanEntries(ctx, s.log.r, "SELECT idx, person, data FROM access_log WHERE idx >= ? AND idx < ? ORDER BY idx", from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: access entries: %w", err)
	}
	return es, nil
}

// AccessHashes implements store.AccessLog. It reads each block once, however
// many of its hashes are asked for.
func (s *Store) AccessHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	blocks := map[int64][]byte{}
	var want []any
	for _, i := range indexes {
		if i < 0 {
			return nil, fmt.Errorf("sqlite: access hashes: index %d: %w", i, store.ErrNotFound)
		}
		b := i / hashBlock
		if _, ok := blocks[b]; !ok {
			blocks[b] = nil
			want = append(want, b)
		}
	}
	// The read runs in one transaction so that all blocks come from one
	// commit.
	tx, err := s.log.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: access hashes: %w", err)
	}
	defer tx.Rollback()
	var count int64
	if err := tx.QueryRowContext(ctx, "SELECT hash_count FROM access_log_state WHERE id = 1").Scan(&count); err != nil {
		return nil, fmt.Errorf("sqlite: access hashes: %w", err)
	}
	const chunk = 500
	for len(want) > 0 {
		n := min(chunk, len(want))
		q := "SELECT block, hashes FROM access_hashes WHERE block IN (?" + strings.Repeat(", ?", n-1) + ")"
		rows, err := tx.QueryContext(ctx, q, want[:n]...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: access hashes: %w", err)
		}
		for rows.Next() {
			var b int64
			var data []byte
			if err := rows.Scan(&b, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: access hashes: %w", err)
			}
			blocks[b] = data
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("sqlite: access hashes: %w", err)
		}
		want = want[n:]
	}
	for k, i := range indexes {
		data := blocks[i/hashBlock]
		off := (i % hashBlock) * 32
		if i >= count || int64(len(data)) < off+32 {
			return nil, fmt.Errorf("sqlite: access hash %d: %w", i, store.ErrNotFound)
		}
		copy(out[k][:], data[off:off+32])
	}
	return out, nil
}

// PutCheckpoint implements store.AccessLog.
func (s *Store) PutCheckpoint(ctx context.Context, c store.Checkpoint) error {
	at, err := timeArg(c.SignedAt)
	if err != nil {
		return fmt.Errorf("sqlite: put checkpoint: %w", err)
	}
	err = inWriteTx(ctx, s.log.w, func(tx *sql.Tx) error {
		var largest int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(size), -1) FROM access_checkpoints").Scan(&largest); err != nil {
			return err
		}
		switch {
		case c.Size == largest:
			return store.ErrExists
		case c.Size < largest:
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO access_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
			c.Size, c.Root[:], c.Note, at)
		return err
	})
	if isUniqueViolation(err) {
		err = store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("sqlite: put checkpoint: %w", err)
	}
	s.log.ckpt.committed()
	return nil
}

const checkpointCols = "size, root, note, signed_at"

func scanCheckpoint(sc scanner) (store.Checkpoint, error) {
	var c store.Checkpoint
	var root []byte
	var at sql.NullInt64
	if err := sc.Scan(&c.Size, &root, &c.Note, &at); err != nil {
		return c, err
	}
	if len(root) != len(c.Root) {
		return c, fmt.Errorf("checkpoint %d: root of %d bytes", c.Size, len(root))
	}
	copy(c.Root[:], root)
	c.SignedAt = timeFromNull(at)
	return c, nil
}

// LatestCheckpoint implements store.AccessLog.
func (s *Store) LatestCheckpoint(ctx context.Context) (store.Checkpoint, error) {
	c, err := scanCheckpoint(s.log.r.QueryRowContext(ctx,
		"SELECT "+checkpointCols+" FROM access_checkpoints ORDER BY size DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: latest checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoints implements store.AccessLog.
func (s *Store) Checkpoints(ctx context.Context, afterSize int64, limit int) ([]store.Checkpoint, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.log.r.QueryContext(ctx, "SELECT "+checkpointCols+" FROM access_checkpoints WHERE size > ? ORDER BY size LIMIT ?", afterSize, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
	}
	defer rows.Close()
	var out []store.Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
	}
	return out, nil
}
