package match

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// lineMarks is what a job's first pass learns about its lines before any is
// answered: which line names a PIN that more than the subscription limit of
// earlier lines already named (OVER_LIMIT, if the person is alive), which
// line is the first to name its PIN (the person's access is recorded there,
// once per job), and the attributes the job's lines claim. Only lines that
// parse and carry a valid PIN count. It costs two bits per input line in
// memory, whatever the number of distinct PINs, and is kept in a file
// beside the job's input so that a resumed job reads it instead of
// counting again.
type lineMarks struct {
	over, first []uint64 // bit n: line n
	claimed     []string // attributes claimed by some line, in attrOrder
}

func (m *lineMarks) isOver(line int64) bool  { return bitAt(m.over, line) }
func (m *lineMarks) isFirst(line int64) bool { return bitAt(m.first, line) }

func bitAt(bits []uint64, n int64) bool {
	return n >= 0 && n/64 < int64(len(bits)) && bits[n/64]&(1<<(n%64)) != 0
}

func setBit(bits []uint64, n int64) { bits[n/64] |= 1 << (n % 64) }

// pinLine is one valid line of the first pass: its PIN as a number (a
// valid PIN is 12 digits) and its line number.
type pinLine struct{ pin, line uint64 }

// Sizes of the first pass; variables so that tests make them small.
var (
	// partitionInputBytes is how much input one partition of the first
	// pass stands for: its lines' PINs are counted in one map, so the map
	// holds at most the valid lines of that much input (about a million).
	partitionInputBytes int64 = 64 << 20
	// spillLines is how many lines a partition keeps in memory before it
	// appends them to its file.
	spillLines = 1 << 15
)

const marksMagic = "DVM1"

func (e *Engine) marksPath(id string) string { return filepath.Join(e.opts.Dir, id+".marks") }

// marks returns the job's line marks, from its marks file or, the first
// time, from a pass over the whole input. The pass partitions the lines by
// PIN (each partition in line order, spilled to a file beyond spillLines),
// then counts each partition's PINs in a map: no count of the job is ever
// read or written in the store, and memory is bounded by the partition
// size, not by the number of distinct PINs.
func (e *Engine) marks(ctx context.Context, j *store.VerifyJob, cols *Columns, headerBytes int64) (*lineMarks, error) {
	if m, err := readMarks(e.marksPath(j.ID)); err == nil {
		return m, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		e.log.WarnContext(ctx, "match: job marks unreadable, counting again", "job", j.ID, "error", err)
	}
	in, err := os.Open(e.inputPath(j.ID))
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var done int64
	if cols != nil {
		done = 1
		if _, err := in.Seek(headerBytes, io.SeekStart); err != nil {
			return nil, err
		}
	}
	parts := newPartitions(e.opts.Dir, j.ID, int(1+j.InputBytes/partitionInputBytes))
	defer parts.remove()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 2)
	var readErr error
	go func() {
		defer close(ch)
		readErr = e.read(ctx, in, cols, done, ch)
	}()
	var claimed [len(attrOrder)]bool
	lines := done
	var addErr error
	for b := range ch {
		if addErr != nil {
			continue // drain, so that the reader ends
		}
		for i := range b.items {
			it := &b.items[i]
			lines = it.line
			if it.err != nil || !it.sub.PINOK {
				continue
			}
			for _, a := range it.sub.Claim.Claimed() {
				claimed[slices.Index(attrOrder[:], a)] = true
			}
			n, err := strconv.ParseUint(it.sub.PIN, 10, 64)
			if err != nil {
				addErr = fmt.Errorf("match: a valid PIN that is not a number: %w", err)
				cancel()
				break
			}
			if addErr = parts.add(pinLine{pin: n, line: uint64(it.line)}); addErr != nil {
				cancel()
				break
			}
		}
	}
	if err := errors.Join(addErr, readErr, ctx.Err()); err != nil {
		return nil, err
	}
	words := lines/64 + 1
	m := &lineMarks{over: make([]uint64, words), first: make([]uint64, words)}
	for i, a := range attrOrder {
		if claimed[i] {
			m.claimed = append(m.claimed, a)
		}
	}
	limit := uint64(e.opts.SubscriptionLimit)
	count := map[uint64]uint64{}
	err = parts.each(func(p []pinLine) {
		for _, x := range p {
			c := count[x.pin] + 1
			count[x.pin] = c
			if c == 1 {
				setBit(m.first, int64(x.line))
			} else if c > limit {
				setBit(m.over, int64(x.line))
			}
		}
	}, func() { clear(count) })
	if err != nil {
		return nil, err
	}
	if err := writeMarks(e.marksPath(j.ID), m); err != nil {
		return nil, err
	}
	return m, nil
}

// partitions holds the first pass's lines, split by PIN.
type partitions struct {
	dir, id string
	bufs    [][]pinLine
	files   []*os.File
}

func newPartitions(dir, id string, n int) *partitions {
	return &partitions{dir: dir, id: id, bufs: make([][]pinLine, n), files: make([]*os.File, n)}
}

func (p *partitions) add(x pinLine) error {
	// A multiplicative hash spreads consecutive PINs over the partitions.
	i := (x.pin * 0x9e3779b97f4a7c15 >> 32) % uint64(len(p.bufs))
	p.bufs[i] = append(p.bufs[i], x)
	if len(p.bufs[i]) >= spillLines {
		return p.spill(int(i))
	}
	return nil
}

// spill appends partition i's lines to its file.
func (p *partitions) spill(i int) error {
	if p.files[i] == nil {
		f, err := os.CreateTemp(p.dir, p.id+".part-*")
		if err != nil {
			return fmt.Errorf("match: job partition: %w", err)
		}
		p.files[i] = f
	}
	buf := make([]byte, 0, 16*len(p.bufs[i]))
	for _, x := range p.bufs[i] {
		buf = binary.LittleEndian.AppendUint64(buf, x.pin)
		buf = binary.LittleEndian.AppendUint64(buf, x.line)
	}
	if _, err := p.files[i].Write(buf); err != nil {
		return fmt.Errorf("match: job partition: %w", err)
	}
	p.bufs[i] = p.bufs[i][:0]
	return nil
}

// each calls fn with each partition's lines in line order, a chunk at a
// time, and next after each partition.
func (p *partitions) each(fn func([]pinLine), next func()) error {
	chunk := make([]pinLine, 0, spillLines)
	for i, f := range p.files {
		if f != nil {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			r := bufio.NewReaderSize(f, 1<<20)
			var rec [16]byte
			for {
				_, err := io.ReadFull(r, rec[:])
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return fmt.Errorf("match: job partition: %w", err)
				}
				chunk = append(chunk, pinLine{binary.LittleEndian.Uint64(rec[:8]), binary.LittleEndian.Uint64(rec[8:])})
				if len(chunk) == cap(chunk) {
					fn(chunk)
					chunk = chunk[:0]
				}
			}
			fn(chunk)
			chunk = chunk[:0]
		}
		fn(p.bufs[i])
		next()
	}
	return nil
}

func (p *partitions) remove() {
	for _, f := range p.files {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

// writeMarks stores m in path, synced, whole or not at all.
func writeMarks(path string, m *lineMarks) error {
	b := []byte(marksMagic)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.over)))
	claimed := strings.Join(m.claimed, ",")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(claimed)))
	b = append(b, claimed...)
	for _, bits := range [][]uint64{m.over, m.first} {
		for _, w := range bits {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("match: job marks: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("match: job marks: %w", err)
	}
	return nil
}

// readMarks reads a marks file; a missing file is os.ErrNotExist.
func readMarks(path string) (*lineMarks, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := errors.New("match: job marks: truncated or not a marks file")
	if len(b) < 16 || string(b[:4]) != marksMagic {
		return nil, bad
	}
	words := binary.LittleEndian.Uint64(b[4:12])
	n := uint64(binary.LittleEndian.Uint32(b[12:16]))
	b = b[16:]
	if uint64(len(b)) != n+16*words {
		return nil, bad
	}
	m := &lineMarks{}
	if n > 0 {
		m.claimed = strings.Split(string(b[:n]), ",")
	}
	b = b[n:]
	m.over, m.first = make([]uint64, words), make([]uint64, words)
	for i := range words {
		m.over[i] = binary.LittleEndian.Uint64(b[8*i:])
		m.first[i] = binary.LittleEndian.Uint64(b[8*(words+i):])
	}
	return m, nil
}
