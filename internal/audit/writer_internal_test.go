package audit

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestWriterState_pushMatchesTlog appends 1,000 entries with push and with
// tlog.StoredHashesForRecordHash over everything stored so far: the same
// stored hashes must come out, in the same order.
func TestWriterState_pushMatchesTlog(t *testing.T) {
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	})
	var w writerState
	for n := int64(0); n < 1000; n++ {
		leaf := tlog.RecordHash(fmt.Appendf(nil, "entry %d", n))
		want, err := tlog.StoredHashesForRecordHash(n, leaf, r)
		if err != nil {
			t.Fatal(err)
		}
		got := w.push(leaf, nil)
		if len(got) != len(want) {
			t.Fatalf("entry %d: %d hashes, want %d", n, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("entry %d: hash %d differs", n, i)
			}
		}
		all = append(all, want...)
		if w.size != n+1 || w.hashCount != int64(len(all)) || w.hashCount != tlog.StoredHashCount(n+1) {
			t.Fatalf("after entry %d: size %d, hash count %d; want %d, %d", n, w.size, w.hashCount, n+1, len(all))
		}
	}
}
