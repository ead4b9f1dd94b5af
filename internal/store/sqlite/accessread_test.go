package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// TestStore_AccessLeavesStopAtGap deletes rows from the middle of the log,
// as only tampering does, and checks that AccessLeaves stops before the
// first missing one.
func TestStore_AccessLeavesStopAtGap(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b := store.AccessBatch{}
	for i := range int64(10) {
		b.Entries = append(b.Entries, store.AccessEntry{Index: i, Person: []byte("p"), Data: fmt.Appendf(nil, "entry %d", i)})
	}
	if err := s.AppendAccess(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.log.w.ExecContext(ctx, "DELETE FROM access_log WHERE idx IN (4, 7)"); err != nil {
		t.Fatal(err)
	}
	// accessLeavesByRow is the path taken if SQLite ever concatenated the
	// rows out of order: it must answer the same.
	for name, read := range map[string]func(context.Context, int64, int64) (store.AccessLeaves, error){
		"AccessLeaves": s.AccessLeaves, "accessLeavesByRow": s.accessLeavesByRow,
	} {
		for _, c := range []struct{ from, to, want int64 }{{0, 10, 4}, {3, 10, 1}, {4, 10, 0}, {5, 10, 2}, {8, 20, 2}, {0, 4, 4}} {
			l, err := read(ctx, c.from, c.to)
			if err != nil {
				t.Fatalf("%s(%d, %d): %v", name, c.from, c.to, err)
			}
			if int64(l.Len()) != c.want {
				t.Errorf("%s(%d, %d) = %d leaves, want %d", name, c.from, c.to, l.Len(), c.want)
			}
			for i := range l.Len() {
				if got, want := string(l.Leaf(i)), fmt.Sprintf("entry %d", c.from+int64(i)); got != want {
					t.Errorf("%s(%d, %d) leaf %d = %q, want %q", name, c.from, c.to, i, got, want)
				}
			}
		}
	}
}

func TestSplitAccessLeaves(t *testing.T) {
	for _, c := range []struct {
		list    string
		data    string
		ordered bool
		leaves  []string
		bad     bool
	}{
		{list: "", data: "", ordered: true},
		{list: "5,2,6,0,7,3", data: "ab" + "" + "cde", ordered: true, leaves: []string{"ab", "", "cde"}},
		{list: "5,2,7,3", data: "ab" + "cde", ordered: true, leaves: []string{"ab"}},
		{list: "6,2,7,3", data: "ab" + "cde", ordered: true},
		{list: "6,3,5,2", data: "cde" + "ab", ordered: false},
		{list: "5,2,5,3", data: "ab" + "cde", ordered: false},
		{list: "5,2,6,3", data: "abcd", bad: true},
		{list: "5,2,6", data: "ab", bad: true},
		{list: "5,-1", data: "", bad: true},
		{list: "x,1", data: "a", bad: true},
	} {
		l := store.AccessLeaves{Data: []byte(c.data)}
		ordered, err := splitAccessLeaves(&l, c.list, 5)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error", c.list)
			}
			continue
		}
		if err != nil || ordered != c.ordered {
			t.Errorf("%q: ordered %v, %v; want %v", c.list, ordered, err, c.ordered)
			continue
		}
		if !ordered {
			continue
		}
		var got []string
		for i := range l.Len() {
			got = append(got, string(l.Leaf(i)))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.leaves) || len(got) != len(c.leaves) {
			t.Errorf("%q: leaves %q, want %q", c.list, got, c.leaves)
		}
	}
}
