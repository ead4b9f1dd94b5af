package vntext

import (
	"bytes"
	"slices"
	"sync"
	"testing"
)

func TestCompare_alphabet(t *testing.T) {
	// The 29 letters of the Vietnamese alphabet, in order.
	alphabet := []string{"a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "x", "y"}
	for i := 1; i < len(alphabet); i++ {
		if got := Compare(alphabet[i-1], alphabet[i]); got != -1 {
			t.Errorf("Compare(%q, %q) = %d, want -1", alphabet[i-1], alphabet[i], got)
		}
	}
}

func TestCompare_tones(t *testing.T) {
	// ngang, huyền, hỏi, ngã, sắc, nặng; tone is secondary, so the next
	// base letter still comes after all of them.
	order := []string{"ma", "mà", "mả", "mã", "má", "mạ", "mă", "mb"}
	for i := 1; i < len(order); i++ {
		if got := Compare(order[i-1], order[i]); got != -1 {
			t.Errorf("Compare(%q, %q) = %d, want -1", order[i-1], order[i], got)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"Hòa", "Hoà", 0},
		{"Thủy", "Thuỷ", 0},
		{"Nguye\u0302\u0303n", "Nguyễn", 0},
		{"Ðặng", "Đặng", 0},
		{"Nguyễn  Văn An", "Nguyễn Văn An", 0},
		{"an", "An", -1},
		{"Đào", "Dương", 1},
		{"Dương", "Đào", -1},
		{"Ân", "Anh", 1},
		{"Ơn", "Ôn", 1},
		{"Hoa", "Hòa", -1},
		{"Hòa", "Hóa", -1},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompare_sortNames(t *testing.T) {
	names := []string{
		"Đặng", "Dương", "Ân", "Anh", "Ánh", "Ăn", "An", "Bình", "Ơn", "Ông", "Ôn",
		"Uyên", "Ưng", "Vân", "Yến", "Hòa", "Hoa", "Hóa", "Hỏa", "Họa", "Hoàng", "Ðạt", "Dũng",
	}
	want := []string{
		"An", "Anh", "Ánh", "Ăn", "Ân", "Bình", "Dũng", "Dương", "Ðạt", "Đặng",
		"Hoa", "Hòa", "Hỏa", "Hóa", "Họa", "Hoàng", "Ôn", "Ông", "Ơn", "Uyên", "Ưng", "Vân", "Yến",
	}
	got := slices.Clone(names)
	slices.SortStableFunc(got, Compare)
	if !slices.Equal(got, want) {
		t.Errorf("sorted by Compare:\n got %q\nwant %q", got, want)
	}
	byKey := slices.Clone(names)
	slices.SortStableFunc(byKey, func(a, b string) int { return bytes.Compare(SortKey(a), SortKey(b)) })
	if !slices.Equal(byKey, want) {
		t.Errorf("sorted by SortKey:\n got %q\nwant %q", byKey, want)
	}
}

func TestSortKey_consistentWithCompare(t *testing.T) {
	c := corpus(t)
	keys := make([][]byte, len(c))
	for i, s := range c {
		keys[i] = SortKey(s)
	}
	for i := range c {
		for j := i; j < len(c); j += 7 {
			if got, want := bytes.Compare(keys[i], keys[j]), Compare(c[i], c[j]); got != want {
				t.Errorf("bytes.Compare(SortKey(%q), SortKey(%q)) = %d, Compare = %d", c[i], c[j], got, want)
			}
		}
	}
}

func TestSortKey_callerOwnsResult(t *testing.T) {
	a := SortKey("Nguyễn")
	saved := slices.Clone(a)
	_ = SortKey("Trần Văn Bình")
	if !bytes.Equal(a, saved) {
		t.Error("SortKey result changed by a later call")
	}
}

// TestCompare_concurrent is meant for -race: Compare and SortKey share
// pooled collators.
func TestCompare_concurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				a, b := "Nguyễn Văn An", "Nguyễn Văn Ân"
				if (g+i)%2 == 0 {
					a, b = b, a
				}
				want := -1
				if a > b {
					want = 1
				}
				if got := Compare(a, b); got != want {
					t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
				}
				if got := bytes.Compare(SortKey(a), SortKey(b)); got != want {
					t.Errorf("SortKey order of %q, %q = %d, want %d", a, b, got, want)
				}
			}
		})
	}
	wg.Wait()
}
