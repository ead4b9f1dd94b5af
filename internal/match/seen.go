package match

import "hash/maphash"

// seenBits is the size of a job's seen-PIN filter: 2^26 bits (8 MiB),
// whatever the file's size. With 10,000,000 distinct PINs and three probes
// it answers "maybe seen" wrongly for about 5% of new PINs.
const seenBits = 1 << 26

// seenFilter is a Bloom filter of the PINs a job has counted so far. A PIN
// it has never seen needs no read of its stored count (it is 0), which
// spares most lines a store read; a "maybe" is checked in the store. It
// lives for one uninterrupted run from the start of the file: a resumed
// job has counts stored by an earlier run, and reads them all.
type seenFilter struct {
	seed maphash.Seed
	bits []uint64
}

func newSeenFilter() *seenFilter {
	return &seenFilter{seed: maphash.MakeSeed(), bits: make([]uint64, seenBits/64)}
}

func (f *seenFilter) probes(pin string) [3]uint32 {
	h := maphash.String(f.seed, pin)
	a, b := uint32(h), uint32(h>>32)|1
	return [3]uint32{a % seenBits, (a + b) % seenBits, (a + 2*b) % seenBits}
}

// add records pin as seen.
func (f *seenFilter) add(pin string) {
	for _, p := range f.probes(pin) {
		f.bits[p/64] |= 1 << (p % 64)
	}
}

// maybe reports whether pin may have been seen; false is certain.
func (f *seenFilter) maybe(pin string) bool {
	for _, p := range f.probes(pin) {
		if f.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}
