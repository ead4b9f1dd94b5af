//go:build !unix

package duckstore

// canWrite has no cheap check here; DuckDB's own errors stand.
func canWrite(string) error { return nil }
