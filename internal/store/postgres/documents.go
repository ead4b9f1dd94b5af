package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// docColumn is where a store.DocumentColumn lives in this schema: its
// table, the primary key that orders the pages, and the columns that name
// what the document is bound to.
type docColumn struct {
	table, column string
	pk, key       []string
	// index is the column of the document's digest, if the table has one.
	index string
}

var docColumns = map[store.DocumentColumn]docColumn{
	store.DocPersons:          {"person_versions", "data", []string{"pin", "version"}, []string{"pin"}, ""},
	store.DocHouseholds:       {"household_versions", "data", []string{"id", "version"}, []string{"id"}, ""},
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
		return c, fmt.Errorf("postgres: no document column %q", col)
	}
	return c, nil
}

// params returns the placeholders of a row's primary key from $first on,
// the integer columns cast so that they compare as numbers.
func (c docColumn) params(first int) []string {
	ps := make([]string, len(c.pk))
	for i, name := range c.pk {
		ps[i] = fmt.Sprintf("$%d", first+i)
		if isIntKey(name) {
			ps[i] += "::bigint"
		}
	}
	return ps
}

// isIntKey reports whether a primary-key column is an integer.
func isIntKey(name string) bool { return name == "seq" || name == "version" }

// rowArgs turns a row's primary key, as text, into query arguments.
func (c docColumn) rowArgs(row []string) ([]any, error) {
	if len(row) != len(c.pk) {
		return nil, fmt.Errorf("postgres: %s: a row of %s has %d key columns, not %d", c.column, c.table, len(c.pk), len(row))
	}
	args := make([]any, len(row))
	for i, v := range row {
		args[i] = v
		if isIntKey(c.pk[i]) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("postgres: %s.%s: row key %q is not a number", c.table, c.pk[i], v)
			}
			args[i] = n
		}
	}
	return args, nil
}

// nonEmpty is the condition on a document worth sealing.
func (c docColumn) nonEmpty() string {
	return "octet_length(" + c.column + ") > 0"
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
		where = append(where, "("+strings.Join(c.pk, ", ")+") > ("+strings.Join(c.params(1), ", ")+")")
		args = append(args, a...)
	}
	if len(skip) > 0 {
		args = append(args, skip)
		where = append(where, fmt.Sprintf("substring(%s from 1 for %d) <> $%d", c.column, len(skip), len(args)))
	}
	args = append(args, limit)
	// The columns come back as text; ORDER BY names the table's columns,
	// since a bare name would sort by the text of the output column.
	cols := make([]string, 0, len(c.pk)+len(c.key)+1)
	for _, k := range append(append([]string{}, c.pk...), c.key...) {
		cols = append(cols, k+"::text")
	}
	index := "NULL::bytea"
	if c.index != "" {
		index = c.index
	}
	q := "SELECT " + strings.Join(append(cols, c.column, index), ", ") + " FROM " + c.table +
		" WHERE " + strings.Join(where, " AND ") + " ORDER BY " + c.table + "." + strings.Join(c.pk, ", "+c.table+".") + fmt.Sprintf(" LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapErr("stored documents of "+string(col), err)
	}
	docs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.StoredDocument, error) {
		d := store.StoredDocument{Row: make([]string, len(c.pk)), Key: make([]string, len(c.key))}
		dest := make([]any, 0, len(cols)+1)
		for i := range d.Row {
			dest = append(dest, &d.Row[i])
		}
		for i := range d.Key {
			dest = append(dest, &d.Key[i])
		}
		err := r.Scan(append(dest, &d.Doc, &d.Index)...)
		return d, err
	})
	return docs, wrapErr("stored documents of "+string(col), err)
}

// ReplaceDocuments implements store.Documents: one transaction, the
// updates sent in one batch.
func (s *Store) ReplaceDocuments(ctx context.Context, col store.DocumentColumn, swaps []store.DocumentSwap) (int, error) {
	c, err := lookupDocColumn(col)
	if err != nil {
		return 0, err
	}
	conds := make([]string, len(c.pk))
	for i, p := range c.params(2) {
		conds[i] = c.pk[i] + " = " + p
	}
	set := c.column + " = $1"
	if c.index != "" {
		// The digest is replaced when one is given, else kept.
		set += fmt.Sprintf(", %s = coalesce($%d::bytea, %s)", c.index, len(c.pk)+3, c.index)
	}
	q := fmt.Sprintf("UPDATE %s SET %s WHERE %s AND %s = $%d", c.table, set,
		strings.Join(conds, " AND "), c.column, len(c.pk)+2)
	n := 0
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, sw := range swaps {
			row, err := c.rowArgs(sw.Row)
			if err != nil {
				return err
			}
			args := append(append([]any{sw.New}, row...), sw.Old)
			if c.index != "" {
				var idx any // NULL keeps the stored digest
				if sw.NewIndex != nil {
					idx = sw.NewIndex
				}
				args = append(args, idx)
			}
			b.Queue(q, args...)
		}
		res := tx.SendBatch(ctx, &b)
		for range swaps {
			tag, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			n += int(tag.RowsAffected())
		}
		return res.Close()
	})
	if err != nil {
		return 0, wrapErr("replace documents of "+string(col), err)
	}
	return n, nil
}

// PurgeReplaced implements store.Documents. PostgreSQL keeps a replaced
// row version until VACUUM, and its bytes in the table's files until the
// space is reused; VACUUM FULL (rewrite) writes each table anew. Its own
// write-ahead log is recycled by checkpoints (docs/operations.md).
func (s *Store) PurgeReplaced(ctx context.Context, rewrite bool) error {
	if !rewrite {
		return nil
	}
	done := map[string]bool{}
	for _, col := range store.DocumentColumns() {
		c, err := lookupDocColumn(col)
		if err != nil {
			return err
		}
		if done[c.table] {
			continue
		}
		done[c.table] = true
		if _, err := s.pool.Exec(ctx, "VACUUM FULL "+c.table); err != nil {
			return wrapErr("rewrite "+c.table, err)
		}
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
	q := fmt.Sprintf(`SELECT CASE WHEN substring(%[1]s from 1 for %[2]d) = $1 THEN substring(%[1]s from %[3]d for %[4]d) ELSE ''::bytea END AS tag, count(*)
		FROM %[5]s WHERE %[6]s GROUP BY tag`, c.column, p, p+1, n, c.table, c.nonEmpty())
	rows, err := s.pool.Query(ctx, q, prefix)
	if err != nil {
		return nil, wrapErr("count documents of "+string(col), err)
	}
	out := map[string]int64{}
	var tag []byte
	var k int64
	_, err = pgx.ForEachRow(rows, []any{&tag, &k}, func() error {
		out[string(tag)] += k
		return nil
	})
	if err != nil {
		return nil, wrapErr("count documents of "+string(col), err)
	}
	return out, nil
}

// DeleteDataKey implements store.Documents.
func (s *Store) DeleteDataKey(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM data_keys WHERE id = $1`, id)
	if err != nil {
		return wrapErr("delete data key", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("delete data key", store.ErrNotFound)
	}
	return nil
}
