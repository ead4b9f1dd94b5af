package dataset

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/dancu/dancu/internal/store"
)

// Upload limits.
const (
	// BatchLines is how many lines go to the store in one transaction: large
	// enough that per-transaction costs vanish, small enough that a crash or
	// an error loses little (a retry of the same file is harmless anyway).
	BatchLines = 2000
	// MaxLineBytes bounds one line; a longer one is refused by number and
	// skipped, and the upload goes on.
	MaxLineBytes = 64 << 10
	// MaxListedErrors bounds the errors a summary lists; the rest are
	// counted.
	MaxListedErrors = 1000
)

// reasonNotInRegistry is the reason for a well-formed PIN no one holds.
const reasonNotInRegistry = "not in the registry"

// Summary is what an upload did.
type Summary struct {
	Lines     int `json:"lines" doc:"Lines read, blank lines not counted."`
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
	// Errors are the first MaxListedErrors rejected lines, by line number.
	Errors []LineError `json:"errors"`
	// MoreErrors counts the rejected lines not listed.
	MoreErrors int `json:"more_errors" doc:"Rejected lines beyond those listed."`
}

// errorList keeps the first MaxListedErrors errors and counts the rest.
type errorList struct {
	listed []LineError
	more   int
}

func (l *errorList) add(e LineError) {
	if len(l.listed) < MaxListedErrors {
		l.listed = append(l.listed, e)
	} else {
		l.more++
	}
}

// batch is parsed lines on their way to the store.
type batch struct {
	recs  []store.DatasetRecord
	lines []int // line number of each record
	read  int   // lines read up to the end of this batch
}

// Upload streams NDJSON records from r into dataset d as agency source,
// which the caller has checked may write it (CanWrite). Three stages run at
// once, each batch of up to BatchLines lines passing through them in turn:
// one goroutine parses; one checks the batch's PINs against the registry (a
// read, on the store's read pool) and records the batch's writes in the
// access log; and the calling goroutine writes the batch in one
// transaction. The writer is the bound, so it does nothing the other stages
// can do: the access log's commit (a sync of its own file) overlaps the
// writer's work on the batch before, and a batch's entries are durable
// before its records are committed, so a crash can leave an entry for a
// write that did not happen but never a write without its entry. progress, if not nil, is called after each batch
// with the lines read so far. A failure of the store ends the upload with
// the summary of what was committed before it; running the same upload
// again is safe.
func (s *Service) Upload(ctx context.Context, d *Dataset, source string, r io.Reader, progress func(lines int)) (Summary, error) {
	k := LookupKind(d.Kind)
	if k == nil {
		return Summary{}, fmt.Errorf("dataset: %s has unknown kind %q", d.Name, d.Kind)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parsed := make(chan batch, 2)
	var perrs errorList
	var sum Summary
	var readErr error
	go func() {
		defer close(parsed)
		sum.Lines, readErr = parseStream(ctx, k, d.Name, source, r, &perrs, parsed)
	}()
	// The first stage to fail cancels the others; its error is the cause,
	// the context.Canceled the others then meet only its echo.
	var failed struct {
		sync.Mutex
		err error
	}
	fail := func(err error) {
		failed.Lock()
		if failed.err == nil {
			failed.err = err
		}
		failed.Unlock()
		cancel()
	}
	checked := make(chan batch, 1)
	var cerrs errorList
	go func() {
		defer close(checked)
		for b := range parsed {
			if ctx.Err() != nil {
				continue // drain, so that the parser ends
			}
			err := s.checkPINs(ctx, &b, &cerrs)
			if err == nil {
				err = s.recordBatch(ctx, d, b)
			}
			if err != nil {
				fail(err)
				continue
			}
			select {
			case checked <- b:
			case <-ctx.Done():
			}
		}
	}()

	var c store.UpsertCounts
	for b := range checked {
		if ctx.Err() != nil {
			continue // drain, so that the checker ends
		}
		n, err := s.writeBatch(ctx, b)
		if err != nil {
			fail(err)
			continue
		}
		c.Inserted += n.Inserted
		c.Updated += n.Updated
		c.Unchanged += n.Unchanged
		if progress != nil {
			progress(b.read)
		}
	}
	writeErr := failed.err
	sum.Inserted, sum.Updated, sum.Unchanged = c.Inserted, c.Updated, c.Unchanged
	// Each list is in line order; merged, the first MaxListedErrors are the
	// first of the whole upload.
	all := append(perrs.listed, cerrs.listed...)
	slices.SortFunc(all, func(a, b LineError) int { return a.Line - b.Line })
	sum.Rejected = len(all) + perrs.more + cerrs.more
	if len(all) > MaxListedErrors {
		all = all[:MaxListedErrors]
	}
	sum.Errors = all
	if sum.Errors == nil {
		sum.Errors = []LineError{}
	}
	sum.MoreErrors = sum.Rejected - len(sum.Errors)
	if writeErr != nil {
		return sum, writeErr
	}
	if readErr != nil && !errors.Is(readErr, context.Canceled) {
		return sum, readErr
	}
	return sum, ctx.Err()
}

// parseStream reads lines, parses them and sends batches. It returns the
// number of non-blank lines read.
func parseStream(ctx context.Context, k *Kind, name, source string, r io.Reader, errs *errorList, out chan<- batch) (int, error) {
	br := bufio.NewReaderSize(r, MaxLineBytes)
	cur := batch{}
	keys := map[string]struct{}{}
	lineNo, lines := 0, 0
	send := func() bool {
		cur.read = lines
		select {
		case out <- cur:
		case <-ctx.Done():
			return false
		}
		cur = batch{recs: make([]store.DatasetRecord, 0, BatchLines), lines: make([]int, 0, BatchLines)}
		clear(keys)
		return true
	}
	for {
		line, err := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of the line
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return lines, fmt.Errorf("dataset: read upload: %w", err)
		}
		if len(line) > 0 || tooLong {
			lineNo++
			trimmed := bytes.TrimSpace(line)
			switch {
			case tooLong:
				lines++
				errs.add(LineError{Line: lineNo, Reason: fmt.Sprintf("longer than %d bytes", MaxLineBytes)})
			case len(trimmed) == 0:
				// Blank lines carry nothing; they still count for numbering.
			default:
				lines++
				p, e := k.ParseLine(trimmed)
				if e != nil {
					e.Line = lineNo
					errs.add(*e)
					break
				}
				if _, dup := keys[p.Key]; dup {
					// A batch's keys must be unique; the later line wins, as
					// it would have line by line.
					if !send() {
						return lines, ctx.Err()
					}
				}
				keys[p.Key] = struct{}{}
				cur.recs = append(cur.recs, store.DatasetRecord{Dataset: name, Key: p.Key, PIN: p.PIN, Source: source,
					Hash: hashRecord(p.PIN, p.Data), Data: p.Data})
				cur.lines = append(cur.lines, lineNo)
				if len(cur.recs) >= BatchLines && !send() {
					return lines, ctx.Err()
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(cur.recs) > 0 || lines > 0 {
		if !send() {
			return lines, ctx.Err()
		}
	}
	return lines, nil
}

// checkPINs looks the batch's PINs up in the registry in one query and
// takes the lines of unknown ones out of the batch, refused.
func (s *Service) checkPINs(ctx context.Context, b *batch, errs *errorList) error {
	if len(b.recs) == 0 {
		return nil
	}
	pins := make([]string, len(b.recs))
	for i := range b.recs {
		pins[i] = b.recs[i].PIN
	}
	slices.Sort(pins)
	pins = slices.Compact(pins)
	found, err := s.st.ExistingPINs(ctx, pins)
	if err != nil {
		return err
	}
	if len(found) == len(pins) {
		return nil
	}
	known := make(map[string]struct{}, len(found))
	for _, p := range found {
		known[p] = struct{}{}
	}
	keep := b.recs[:0]
	for i, r := range b.recs {
		if _, ok := known[r.PIN]; !ok {
			errs.add(LineError{Line: b.lines[i], Field: "pin", Reason: reasonNotInRegistry})
			continue
		}
		keep = append(keep, r)
	}
	b.recs = keep
	return nil
}

// recordBatch records the writes of a checked batch in the access log, one
// entry per person, before the batch goes to the writer.
func (s *Service) recordBatch(ctx context.Context, d *Dataset, b batch) error {
	if len(b.recs) == 0 {
		return nil
	}
	written := make([]string, len(b.recs))
	for i := range b.recs {
		written[i] = b.recs[i].PIN
	}
	slices.Sort(written)
	return s.recordWrites(ctx, d, slices.Compact(written))
}

// writeBatch upserts a checked and recorded batch.
func (s *Service) writeBatch(ctx context.Context, b batch) (store.UpsertCounts, error) {
	if len(b.recs) == 0 {
		return store.UpsertCounts{}, nil
	}
	return s.st.UpsertDatasetRecords(ctx, b.recs)
}
