// Package duckstore is the analytics store (stats.Store) on DuckDB, an
// embedded columnar engine, through github.com/duckdb/duckdb-go/v2. It is
// the only package that imports DuckDB (and so the only one needing cgo
// besides the binary).
//
// One file in the data folder holds the tables. Rows arrive through the
// Appender, never one INSERT per row: a feed batch is appended to a staging
// table and merged in one transaction with the outbox cursor, and a
// rebuild appends into new tables that replace the old ones in one
// transaction, so readers see either the old content or the new.
package duckstore
