package sqlite

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// BenchmarkIndexAccesses measures the person index alone: b.N entries about
// random 32-byte pseudonyms (as HMACs are) are appended in batches of 4,096
// and indexed after each, as the audit log's indexer does, and the CPU time
// of the indexing (process CPU, SQLite's work included) is reported per
// entry. The cost of an entry grows with the index on a single tree
// (random pages) and with the number of merge levels on runs.
//
//	go test -run XXX -bench IndexAccesses -benchtime 1000000x ./internal/store/sqlite
func BenchmarkIndexAccesses(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	const batch = 4096
	people := make([][]byte, 1<<16)
	for i := range people {
		people[i] = make([]byte, 32)
		rand.Read(people[i])
	}
	data := make([]byte, 300) // about a leaf's size
	var indexCPU time.Duration
	var indexWall time.Duration
	b.ResetTimer()
	for first := int64(0); first < int64(b.N); first += batch {
		n := min(batch, int64(b.N)-first)
		ab := store.AccessBatch{First: first, HashStart: 2 * first}
		for i := range n {
			ab.Entries = append(ab.Entries, store.AccessEntry{Index: first + i, Person: people[(first+i)*7919%int64(len(people))], Data: data})
			ab.Hashes = append(ab.Hashes, [32]byte{}, [32]byte{})
		}
		if err := s.AppendAccess(ctx, ab); err != nil {
			b.Fatal(err)
		}
		c0, t0 := cpuTime(), time.Now()
		if _, err := s.IndexAccesses(ctx, batch); err != nil {
			b.Fatal(err)
		}
		indexCPU += cpuTime() - c0
		indexWall += time.Since(t0)
	}
	b.ReportMetric(float64(indexCPU.Microseconds())/float64(b.N), "index-cpu-µs/entry")
	b.ReportMetric(float64(indexWall.Microseconds())/float64(b.N), "index-wall-µs/entry")
}
