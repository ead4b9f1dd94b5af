package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dancu/dancu/internal/store"
)

// isUnavailable reports whether err means the storage under the database
// cannot serve now: the disk is full, an I/O error (a failing disk, or a
// file system the kernel turned read-only under the process), the file
// cannot be opened, memory ran out. On the read pool a plain
// SQLITE_READONLY is the query_only guard catching a bug, not the disk, and
// is left as it is.
func isUnavailable(err error, readPool bool) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
		return true
	case sqlite3.SQLITE_READONLY:
		var e *sqlite.Error
		return !readPool || (errors.As(err, &e) && e.Code() != sqlite3.SQLITE_READONLY)
	}
	return false
}

// openDB opens a pool whose connections mark every error isUnavailable
// accepts with store.ErrUnavailable (store.Unavailable), whichever
// statement, query or commit it comes from: the classification lives here
// once instead of at each of the package's call sites, and covers them all.
func openDB(dsn string, readPool bool) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&faultConnector{Connector: c, readPool: readPool}), nil
}

type faultConnector struct {
	driver.Connector
	readPool bool
}

func (c *faultConnector) mark(err error) error {
	if err != nil && isUnavailable(err, c.readPool) {
		return store.Unavailable(err)
	}
	return err
}

func (c *faultConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, c.mark(err)
	}
	return &faultConn{conn: conn, c: c}, nil
}

// faultConn forwards every optional interface the driver's connections
// implement (see sqlite.NewConnector), marking errors on the way out.
type faultConn struct {
	conn driver.Conn
	c    *faultConnector
}

var (
	_ driver.ConnBeginTx        = (*faultConn)(nil)
	_ driver.ConnPrepareContext = (*faultConn)(nil)
	_ driver.ExecerContext      = (*faultConn)(nil)
	_ driver.QueryerContext     = (*faultConn)(nil)
	_ driver.Pinger             = (*faultConn)(nil)
	_ driver.SessionResetter    = (*faultConn)(nil)
	_ driver.Validator          = (*faultConn)(nil)
)

// Unwrap returns the driver's connection, for sqlite.Limit and for
// database/sql's Conn.Raw users.
func (f *faultConn) Unwrap() driver.Conn { return f.conn }

func (f *faultConn) Prepare(query string) (driver.Stmt, error) {
	return f.PrepareContext(context.Background(), query)
}

func (f *faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := f.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, f.c.mark(err)
	}
	return &faultStmt{st: st, c: f.c}, nil
}

func (f *faultConn) Close() error { return f.conn.Close() }

func (f *faultConn) Begin() (driver.Tx, error) {
	return f.BeginTx(context.Background(), driver.TxOptions{})
}

func (f *faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := f.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, f.c.mark(err)
	}
	return &faultTx{tx: tx, c: f.c}, nil
}

func (f *faultConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := f.conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	return r, f.c.mark(err)
}

func (f *faultConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := f.conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		return nil, f.c.mark(err)
	}
	return &faultRows{Rows: rows, c: f.c}, nil
}

func (f *faultConn) Ping(ctx context.Context) error {
	return f.c.mark(f.conn.(driver.Pinger).Ping(ctx))
}

func (f *faultConn) ResetSession(ctx context.Context) error {
	return f.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (f *faultConn) IsValid() bool { return f.conn.(driver.Validator).IsValid() }

type faultStmt struct {
	st driver.Stmt
	c  *faultConnector
}

var (
	_ driver.StmtExecContext  = (*faultStmt)(nil)
	_ driver.StmtQueryContext = (*faultStmt)(nil)
)

func (s *faultStmt) Close() error  { return s.st.Close() }
func (s *faultStmt) NumInput() int { return s.st.NumInput() }

// Exec and Query are the pre-context methods, which database/sql does not
// call when the context ones exist; they are here to satisfy driver.Stmt.
func (s *faultStmt) Exec(args []driver.Value) (driver.Result, error) {
	r, err := s.st.Exec(args) //nolint:staticcheck // required by driver.Stmt
	return r, s.c.mark(err)
}

func (s *faultStmt) Query(args []driver.Value) (driver.Rows, error) {
	rows, err := s.st.Query(args) //nolint:staticcheck // required by driver.Stmt
	if err != nil {
		return nil, s.c.mark(err)
	}
	return &faultRows{Rows: rows, c: s.c}, nil
}

func (s *faultStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.st.(driver.StmtExecContext).ExecContext(ctx, args)
	return r, s.c.mark(err)
}

func (s *faultStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, s.c.mark(err)
	}
	return &faultRows{Rows: rows, c: s.c}, nil
}

type faultTx struct {
	tx driver.Tx
	c  *faultConnector
}

// Commit is where a full or failed disk shows most often: SQLite writes
// and syncs the write-ahead log when the transaction commits.
func (t *faultTx) Commit() error   { return t.c.mark(t.tx.Commit()) }
func (t *faultTx) Rollback() error { return t.c.mark(t.tx.Rollback()) }

// faultRows marks the errors of reading rows: a read can meet a failing
// disk too. io.EOF, the end of the rows, is no SQLite error and passes.
type faultRows struct {
	driver.Rows
	c *faultConnector
}

func (r *faultRows) Next(dest []driver.Value) error { return r.c.mark(r.Rows.Next(dest)) }
