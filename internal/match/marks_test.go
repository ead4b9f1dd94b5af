package match

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// TestMarks compares the first pass's marks with a plain count in memory,
// in one partition held in memory and in many partitions spilled to files,
// and checks that a second call reads the marks file instead of counting.
func TestMarks(t *testing.T) {
	pins := []string{"079190000001", "079190000002", "079190000003", "001200000004", "079190000005"}
	rng := rand.New(rand.NewPCG(7, 8))
	var in bytes.Buffer
	in.WriteString("phone,pin,full_name,birth_date,sex,address\n")
	wantOver, wantFirst := map[int64]bool{}, map[int64]bool{}
	seen := map[string]int{}
	const lines = 3000
	for n := int64(2); n < lines+2; n++ {
		p := pins[rng.IntN(len(pins))]
		addr := ""
		switch rng.IntN(50) {
		case 0: // malformed: not counted
			fmt.Fprintf(&in, "0912%06d,%s,An,1990-13-01,male,\n", n, p)
			continue
		case 1: // an invalid PIN: not counted
			fmt.Fprintf(&in, "0912%06d,12345,An,1990-01-01,male,\n", n)
			continue
		case 2:
			addr = "Hà Nội"
		}
		fmt.Fprintf(&in, "0912%06d,%s,An,1990-01-01,male,%s\n", n, p, addr)
		seen[p]++
		wantFirst[n] = seen[p] == 1
		wantOver[n] = seen[p] > DefaultSubscriptionLimit
	}
	header := int64(bytes.IndexByte(in.Bytes(), '\n') + 1)
	cols, err := ParseCSVHeader(in.Bytes()[:header])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		partitionIn int64
		spill       int
	}{
		{"one partition in memory", partitionInputBytes, spillLines},
		{"many partitions spilled", 2000, 16}, // 60 partitions of about 50 lines
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(p int64, s int) { partitionInputBytes, spillLines = p, s }(partitionInputBytes, spillLines)
			partitionInputBytes, spillLines = tc.partitionIn, tc.spill
			e, err := NewEngine(nil, nil, EngineOptions{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			j := &store.VerifyJob{ID: "vj_test", InputBytes: int64(in.Len())}
			if err := os.WriteFile(e.inputPath(j.ID), in.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			m, err := e.marks(context.Background(), j, &cols, header)
			if err != nil {
				t.Fatal(err)
			}
			check := func(m *lineMarks) {
				t.Helper()
				for n := int64(0); n < lines+10; n++ {
					if m.isOver(n) != wantOver[n] || m.isFirst(n) != wantFirst[n] {
						t.Fatalf("line %d: over %v first %v; want %v %v", n, m.isOver(n), m.isFirst(n), wantOver[n], wantFirst[n])
					}
				}
				if want := []string{AttrFullName, AttrBirthDate, AttrSex, AttrAddress}; !slices.Equal(m.claimed, want) {
					t.Errorf("claimed = %v, want %v", m.claimed, want)
				}
			}
			check(m)
			if left, _ := os.ReadDir(e.opts.Dir); len(left) != 2 {
				t.Errorf("files left after the pass: %d, want the input and the marks", len(left))
			}
			// The second time the file answers: counting again would find
			// the input changed.
			if err := os.WriteFile(e.inputPath(j.ID), []byte("phone,pin,full_name,birth_date,sex\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			again, err := e.marks(context.Background(), j, &cols, header)
			if err != nil {
				t.Fatal(err)
			}
			check(again)
			// A damaged marks file is not trusted: the pass runs again.
			if err := os.WriteFile(e.marksPath(j.ID), []byte("DVM1 short"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(e.inputPath(j.ID), in.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			m, err = e.marks(context.Background(), j, &cols, header)
			if err != nil {
				t.Fatal(err)
			}
			check(m)
		})
	}
}
