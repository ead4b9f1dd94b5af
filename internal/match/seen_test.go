package match

import (
	"fmt"
	"testing"
)

func TestSeenFilter(t *testing.T) {
	f := newSeenFilter()
	for i := range 200_000 {
		f.add(fmt.Sprintf("0790900%05d", i))
	}
	for i := range 200_000 {
		if p := fmt.Sprintf("0790900%05d", i); !f.maybe(p) {
			t.Fatalf("%s was added but is not seen", p)
		}
	}
	wrong := 0
	for i := range 100_000 {
		if f.maybe(fmt.Sprintf("0011850%05d", i)) {
			wrong++
		}
	}
	if wrong > 100 { // 200,000 in 2^26 bits: about 1 in 10^6
		t.Errorf("%d of 100,000 unseen PINs are maybe seen", wrong)
	}
}
