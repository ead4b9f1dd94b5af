package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// docColumn is where a store.DocumentColumn lives in this schema: its
// table, the primary key that orders the pages (person and household
// versions are rowid tables, so their vid), and the columns that name
// what the document is bound to.
type docColumn struct {
	table, column string
	pk, key       []string
	// index is the column of the document's digest, if the table has one.
	index string
}

var docColumns = map[store.DocumentColumn]docColumn{
	store.DocPersons:          {"person_versions", "data", []string{"vid"}, []string{"pin"}, ""},
	store.DocHouseholds:       {"household_versions", "data", []string{"vid"}, []string{"id"}, ""},
	store.DocEventRequests:    {"events", "request", []string{"seq"}, []string{"id"}, ""},
	store.DocEventResults:     {"events", "result", []string{"seq"}, []string{"id"}, ""},
	store.DocOutbox:           {"outbox", "data", []string{"seq"}, []string{"event_id", "pin"}, ""},
	store.DocDatasetRecords:   {"dataset_records", "data", []string{"dataset", "key"}, []string{"dataset", "key"}, "hash"},
	store.DocCardDG1:          {"cards", "dg1", []string{"pin", "seq"}, []string{"event_id"}, ""},
	store.DocCardDG2:          {"cards", "dg2", []string{"pin", "seq"}, []string{"event_id"}, ""},
	store.DocCardDG13:         {"cards", "dg13", []string{"pin", "seq"}, []string{"event_id"}, ""},
	store.DocCardSOD:          {"cards", "sod", []string{"pin", "seq"}, []string{"event_id"}, ""},
	store.DocDossiers:         {"dossiers", "data", []string{"code"}, []string{"code"}, ""},
	store.DocAttachments:      {"dossier_attachments", "content", []string{"dossier", "id"}, []string{"dossier", "id"}, ""},
	store.DocEIDAccounts:      {"eid_accounts", "data", []string{"id"}, []string{"id"}, ""},
	store.DocEIDSessions:      {"eid_sessions", "data", []string{"id"}, []string{"id"}, ""},
	store.DocEIDEvents:        {"eid_events", "data", []string{"seq"}, []string{"account_id"}, ""},
	store.DocEIDTransient:     {"eid_transient", "data", []string{"kind", "id"}, []string{"kind", "id"}, ""},
	store.DocOIDCAuthRequests: {"oidc_auth_requests", "data", []string{"id"}, []string{"id"}, ""},
	store.DocOIDCTokens:       {"oidc_tokens", "data", []string{"id"}, []string{"id"}, ""},
	store.DocOIDCKeys:         {"oidc_keys", "private_jwk", []string{"id"}, []string{"id"}, ""},
}

func lookupDocColumn(col store.DocumentColumn) (docColumn, error) {
	c, ok := docColumns[col]
	if !ok {
		return c, fmt.Errorf("sqlite: no document column %q", col)
	}
	return c, nil
}

// rowArgs turns a row's primary key, as text, into query arguments: the
// integer key columns as integers, so that they compare as numbers.
func (c docColumn) rowArgs(row []string) ([]any, error) {
	if len(row) != len(c.pk) {
		return nil, fmt.Errorf("sqlite: %s: a row of %s has %d key columns, not %d", c.column, c.table, len(c.pk), len(row))
	}
	args := make([]any, len(row))
	for i, v := range row {
		switch c.pk[i] {
		case "vid", "seq":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("sqlite: %s.%s: row key %q is not a number", c.table, c.pk[i], v)
			}
			args[i] = n
		default:
			args[i] = v
		}
	}
	return args, nil
}

// indexExpr selects the document's digest, or NULL.
func (c docColumn) indexExpr() string {
	if c.index == "" {
		return "NULL"
	}
	return c.index
}

// setArgs are the values an UPDATE of ReplaceDocuments sets.
func (c docColumn) setArgs(sw store.DocumentSwap) []any {
	if c.index == "" {
		return []any{sw.New}
	}
	var idx any // NULL keeps the stored digest
	if sw.NewIndex != nil {
		idx = sw.NewIndex
	}
	return []any{sw.New, idx}
}

// nonEmpty is the condition on a document worth sealing.
func (c docColumn) nonEmpty() string {
	return c.column + " IS NOT NULL AND length(" + c.column + ") > 0"
}

// StoredDocuments implements store.Documents.
func (s *Store) StoredDocuments(ctx context.Context, col store.DocumentColumn, after []string, skip []byte, limit int) ([]store.StoredDocument, error) {
	c, err := lookupDocColumn(col)
	if err != nil {
		return nil, err
	}
	var args []any
	where := []string{c.nonEmpty()}
	if after != nil {
		a, err := c.rowArgs(after)
		if err != nil {
			return nil, err
		}
		where = append(where, "("+strings.Join(c.pk, ", ")+") > ("+strings.TrimSuffix(strings.Repeat("?, ", len(a)), ", ")+")")
		args = append(args, a...)
	}
	if len(skip) > 0 {
		where = append(where, fmt.Sprintf("substr(%s, 1, %d) <> ?", c.column, len(skip)))
		args = append(args, skip)
	}
	q := "SELECT " + strings.Join(append(append(append([]string{}, c.pk...), c.key...), c.column, c.indexExpr()), ", ") +
		" FROM " + c.table + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + strings.Join(c.pk, ", ") + " LIMIT ?"
	args = append(args, limit)
	return queryAll(ctx, s, "stored documents of "+string(col), func(sc scanner) (store.StoredDocument, error) {
		d := store.StoredDocument{Row: make([]string, len(c.pk)), Key: make([]string, len(c.key))}
		dest := make([]any, 0, len(c.pk)+len(c.key)+1)
		for i := range d.Row {
			dest = append(dest, &d.Row[i])
		}
		for i := range d.Key {
			dest = append(dest, &d.Key[i])
		}
		err := sc.Scan(append(dest, &d.Doc, &d.Index)...)
		return d, err
	}, q, args...)
}

// ReplaceDocuments implements store.Documents.
func (s *Store) ReplaceDocuments(ctx context.Context, col store.DocumentColumn, swaps []store.DocumentSwap) (int, error) {
	c, err := lookupDocColumn(col)
	if err != nil {
		return 0, err
	}
	set := c.column + " = ?"
	if c.index != "" {
		// The digest is replaced when one is given, else kept.
		set += ", " + c.index + " = coalesce(?, " + c.index + ")"
	}
	q := "UPDATE " + c.table + " SET " + set + " WHERE " +
		strings.Join(c.pk, " = ? AND ") + " = ? AND " + c.column + " = ?"
	var n int
	err = retry(ctx, func() error {
		var err error
		n, err = s.replaceOnce(ctx, c, q, swaps)
		return err
	}, isBusy)
	if err != nil {
		return 0, fmt.Errorf("sqlite: replace documents of %s: %w", col, err)
	}
	return n, nil
}

// replaceOnce runs one attempt of ReplaceDocuments.
func (s *Store) replaceOnce(ctx context.Context, c docColumn, q string, swaps []store.DocumentSwap) (n int, err error) {
	err = s.secureWrite(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, sw := range swaps {
			row, err := c.rowArgs(sw.Row)
			if err != nil {
				return err
			}
			res, err := st.ExecContext(ctx, append(append(c.setArgs(sw), row...), sw.Old)...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

// secureWrite runs fn in one transaction on the writer connection with
// secure_delete on: SQLite then zeroes the cells and overflow pages that
// old documents and keys leave free, which would otherwise keep them, in
// clear, until reused.
func (s *Store) secureWrite(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var was int
	if err := conn.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&was); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool as it was: other writes
		// need no zeroing.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA secure_delete = "+strconv.Itoa(was)); err == nil && rerr != nil {
			err = rerr
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// PurgeReplaced implements store.Documents: a TRUNCATE checkpoint copies
// the log into the database file and empties the log file. secure_delete
// zeroes what a replace frees, but a page split before it may have left a
// copy of a document in a page's unused space: VACUUM (rewrite) writes
// every page anew.
func (s *Store) PurgeReplaced(ctx context.Context, rewrite bool) error {
	if rewrite {
		if _, err := s.w.ExecContext(ctx, "VACUUM"); err != nil {
			return fmt.Errorf("sqlite: rewrite the database: %w", err)
		}
	}
	var busy, logPages, done int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("sqlite: purge replaced documents: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("sqlite: purge replaced documents: a reader kept the write-ahead log from being emptied (%d of %d pages copied); run again", done, logPages)
	}
	return nil
}

// CountDocuments implements store.Documents.
func (s *Store) CountDocuments(ctx context.Context, col store.DocumentColumn, prefix []byte, n int) (map[string]int64, error) {
	c, err := lookupDocColumn(col)
	if err != nil {
		return nil, err
	}
	p := len(prefix)
	q := fmt.Sprintf(`SELECT CASE WHEN substr(%[1]s, 1, %[2]d) = ? THEN substr(%[1]s, %[3]d, %[4]d) ELSE x'' END AS tag, count(*)
		FROM %[5]s WHERE %[6]s GROUP BY tag`, c.column, p, p+1, n, c.table, c.nonEmpty())
	type tagCount struct {
		tag []byte
		n   int64
	}
	rows, err := queryAll(ctx, s, "count documents of "+string(col), func(sc scanner) (tagCount, error) {
		var t tagCount
		err := sc.Scan(&t.tag, &t.n)
		return t, err
	}, q, prefix)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[string(r.tag)] += r.n
	}
	return out, nil
}

// DeleteDataKey implements store.Documents.
func (s *Store) DeleteDataKey(ctx context.Context, id int64) error {
	n, err := s.execAffected(ctx, `DELETE FROM data_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete data key: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delete data key: %w", store.ErrNotFound)
	}
	return nil
}
