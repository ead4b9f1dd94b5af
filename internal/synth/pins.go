package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/pin"
)

// pinSet is a set of PINs as 12-digit integers: open addressing with linear
// probing over a flat slice, so that it costs 16 bytes a person at most and
// nothing for the garbage collector to scan. No PIN is 0, which marks an
// empty slot.
type pinSet struct {
	slots []uint64
	n     int
}

func newPinSet(capacity int) *pinSet {
	size := 1024
	for size < capacity*2 {
		size <<= 1
	}
	return &pinSet{slots: make([]uint64, size)}
}

// add inserts v and reports whether it was new.
func (s *pinSet) add(v uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := mix(v) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = v
			s.n++
			return true
		case v:
			return false
		}
	}
}

func (s *pinSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.n = 0
	for _, v := range old {
		if v != 0 {
			s.add(v)
		}
	}
}

// mix is the splitmix64 finaliser: it spreads the serial digits of similar
// PINs over the table.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// digitsValue returns the value of a string of ASCII digits.
func digitsValue(s string) uint64 {
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v
}

// hashString is 64-bit FNV-1a.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// pinValue returns the PIN as an integer.
func pinValue(p pin.PIN) uint64 {
	var buf [12]byte
	b, _ := p.AppendText(buf[:0])
	var v uint64
	for _, c := range b {
		v = v*10 + uint64(c-'0')
	}
	return v
}

// allocator makes PINs unique across the run, and old CMND numbers, phone
// numbers and email addresses too, since other parts of the system match on
// them. Chunks draw candidates in parallel; the allocator then visits chunks
// strictly in order and redraws any candidate already taken, from its own
// random stream, so that the result does not depend on how the work was
// scheduled.
type allocator struct {
	used    *pinSet // PINs
	cmnd    *pinSet // old 9-digit numbers, plus one (0 marks an empty slot)
	phones  *pinSet // ten-digit numbers as integers
	emails  *pinSet // 64-bit hashes of addresses: a false match only redraws
	r       *rand.Rand
	nextHH  int
	redrawn int
	buf     []byte
}

func newAllocator(seed uint64, citizens int) *allocator {
	return &allocator{
		used:   newPinSet(citizens),
		cmnd:   newPinSet(citizens / 2),
		phones: newPinSet(citizens * 3 / 4),
		emails: newPinSet(citizens / 8),
		r:      rand.New(rand.NewPCG(seed, 0xC0111D0C0111D0)),
	}
}

// assign makes the PINs, old numbers, phones and emails of c unique and
// numbers its households. It must be called for chunks in index order.
func (a *allocator) assign(c *chunk) {
	for i := range c.people {
		p := &c.people[i]
		for !a.used.add(pinValue(p.pin)) {
			a.redrawn++
			np, err := pin.New(p.pin.ProvinceCode(), p.pin.BirthYear(), p.pin.Sex(), a.r.IntN(pin.MaxSerial+1))
			if err != nil {
				panic("synth: redrawing a valid PIN failed: " + err.Error())
			}
			p.pin = np
		}
		if p.rec.OldIDNumber != "" {
			for !a.cmnd.add(digitsValue(p.rec.OldIDNumber) + 1) {
				a.buf = appendDigits(append(a.buf[:0], p.rec.OldIDNumber[:2]...), a.r.IntN(1e7), 7)
				p.rec.OldIDNumber = string(a.buf)
			}
		}
		if p.rec.Phone != "" {
			for !a.phones.add(digitsValue(p.rec.Phone)) {
				a.buf = appendDigits(append(a.buf[:0], p.rec.Phone[:3]...), a.r.IntN(1e7), 7)
				p.rec.Phone = string(a.buf)
			}
		}
		if p.rec.Email != "" {
			for !a.emails.add(hashString(p.rec.Email) | 1) {
				at := strings.IndexByte(p.rec.Email, '@')
				a.buf = strconv.AppendInt(append(a.buf[:0], p.rec.Email[:at]...), int64(a.r.IntN(10)), 10)
				p.rec.Email = string(append(a.buf, p.rec.Email[at:]...))
			}
		}
	}
	c.hhBase = a.nextHH
	a.nextHH += len(c.households)
}
