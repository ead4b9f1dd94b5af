package match

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Result codes of a bulk verification line.
const (
	ResultMatch      = "MATCH"       // every attribute of the line agrees with the record
	ResultMismatch   = "MISMATCH"    // the person exists; the fields listed differ
	ResultNotFound   = "NOT_FOUND"   // a valid PIN no one holds
	ResultDeceased   = "DECEASED"    // the person has died
	ResultMissing    = "MISSING"     // the person is declared missing
	ResultInvalidPIN = "INVALID_PIN" // not a personal identification number
	ResultOverLimit  = "OVER_LIMIT"  // the PIN is on more lines than the carrier's limit
	ResultMalformed  = "MALFORMED"   // the line cannot be read; the reason says why
)

// Job states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Defaults of the job engine.
const (
	DefaultBatchLines        = 8192
	DefaultSubscriptionLimit = 3
	// resultHeader is the first line of every result file.
	resultHeader = "line,phone,result,fields,reason\n"
)

// JobSummary counts a job's lines by result.
type JobSummary struct {
	Lines      int64 `json:"lines" doc:"Lines answered (a CSV header is not counted)."`
	Match      int64 `json:"match"`
	Mismatch   int64 `json:"mismatch"`
	NotFound   int64 `json:"not_found"`
	Deceased   int64 `json:"deceased"`
	Missing    int64 `json:"missing"`
	InvalidPIN int64 `json:"invalid_pin"`
	OverLimit  int64 `json:"over_limit"`
	Malformed  int64 `json:"malformed"`
}

func (s *JobSummary) add(result string) {
	s.Lines++
	switch result {
	case ResultMatch:
		s.Match++
	case ResultMismatch:
		s.Mismatch++
	case ResultNotFound:
		s.NotFound++
	case ResultDeceased:
		s.Deceased++
	case ResultMissing:
		s.Missing++
	case ResultInvalidPIN:
		s.InvalidPIN++
	case ResultOverLimit:
		s.OverLimit++
	case ResultMalformed:
		s.Malformed++
	}
}

// JobStore is what the job engine keeps in the store.
type JobStore interface {
	VerifyRows(ctx context.Context, pins []string, withData bool) ([]store.VerifyRow, error)
	CreateVerifyJob(ctx context.Context, j store.VerifyJob) error
	VerifyJob(ctx context.Context, id string) (store.VerifyJob, error)
	VerifyJobs(ctx context.Context, agency string, limit int) ([]store.VerifyJob, error)
	PendingVerifyJobs(ctx context.Context) ([]store.VerifyJob, error)
	SaveVerifyJob(ctx context.Context, j store.VerifyJob) error
}

// EngineOptions configure an Engine.
type EngineOptions struct {
	// Dir holds the jobs' input and result files.
	Dir string
	// BatchLines is how many lines one batch (one store query, one
	// checkpoint) answers; 0 means DefaultBatchLines.
	BatchLines int
	// SubscriptionLimit is how many lines may name one PIN before the
	// further ones are OVER_LIMIT; 0 means DefaultSubscriptionLimit.
	SubscriptionLimit int
	// PollInterval is how often Run looks for jobs without being woken; 0
	// means 5 seconds.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Now reads the clock (tests).
	Now func() time.Time
}

// Engine runs bulk verification jobs, one at a time, oldest first. Among
// processes sharing a store, Run belongs under a lease (dancu serve runs it
// under "verify.jobs"): a job briefly run by two processes stays correct,
// since a checkpoint is written only at the version its runner read
// (store.ErrConflict otherwise) and both write the same results for the
// same lines. The job rows also carry Owner and LeaseUntil for a finer,
// per-job lease.
type Engine struct {
	st   JobStore
	rec  audit.Recorder
	opts EngineOptions
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	progress map[string]func(store.VerifyJob) // per-job progress callbacks (the CLI's bar)

	// afterWrite, if set, runs after a batch's results are on disk and
	// before its checkpoint; an error stops the job there (tests simulate a
	// crash with it).
	afterWrite func(job store.VerifyJob, batch int) error
}

// NewEngine returns an engine over st that records accesses with rec.
func NewEngine(st JobStore, rec audit.Recorder, opts EngineOptions) (*Engine, error) {
	if opts.Dir == "" {
		return nil, errors.New("match: EngineOptions.Dir is required")
	}
	if opts.BatchLines <= 0 {
		opts.BatchLines = DefaultBatchLines
	}
	if opts.SubscriptionLimit <= 0 {
		opts.SubscriptionLimit = DefaultSubscriptionLimit
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("match: jobs folder: %w", err)
	}
	return &Engine{st: st, rec: rec, opts: opts, log: log, wake: make(chan struct{}, 1),
		progress: map[string]func(store.VerifyJob){}}, nil
}

func (e *Engine) inputPath(id string) string  { return filepath.Join(e.opts.Dir, id+".input") }
func (e *Engine) resultPath(id string) string { return filepath.Join(e.opts.Dir, id+".result") }

// Errors of Submit.
var (
	// ErrTooLarge is returned when an upload exceeds the size limit; nothing
	// is kept.
	ErrTooLarge = errors.New("match: the file exceeds the size limit")
	// ErrNotJobFile wraps why an upload is not a CSV or NDJSON subscriber
	// list; nothing is kept.
	ErrNotJobFile = errors.New("match: not a subscriber list")
)

func notJobFile(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotJobFile, fmt.Sprintf(format, args...))
}

// JobMeta says who submits a job and for what.
type JobMeta struct {
	ID      string // "" for a new random id
	Agency  string
	Client  string
	Purpose string
	Format  Format // "" to decide from the content
}

// sniffBytes is how much of an upload Submit inspects before storing it.
const sniffBytes = 64 << 10

// Sniff checks that the start of a file is a CSV or NDJSON subscriber list
// and returns its format (format, if given, must agree). It reads no more
// than what head holds.
func Sniff(head []byte, format Format) (Format, error) {
	switch {
	case len(bytes.TrimSpace(head)) == 0:
		return "", notJobFile("the file is empty")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "", notJobFile("the file is a ZIP archive (an Excel workbook?); export the sheet as CSV in UTF-8")
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "", notJobFile("the file is in UTF-16; send it in UTF-8")
	case bytes.IndexByte(head, 0) >= 0:
		return "", notJobFile("the file holds binary data (NUL bytes), not text")
	}
	body := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	first, _, complete := bytes.Cut(body, []byte("\n"))
	if !complete && len(head) >= sniffBytes {
		return "", notJobFile("the first line is longer than %d bytes", sniffBytes)
	}
	first = bytes.TrimRight(first, "\r")
	if format == "" {
		format = CSV
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
			format = NDJSON
		}
	}
	switch format {
	case CSV:
		if _, err := ParseCSVHeader(first); err != nil {
			return "", notJobFile("not a CSV subscriber list: %v", err)
		}
	case NDJSON:
		line := bytes.TrimSpace(first)
		for rest := body; len(line) == 0 && len(rest) > 0; {
			line, rest, _ = bytes.Cut(rest, []byte("\n"))
			line = bytes.TrimSpace(line)
		}
		if len(line) == 0 || line[0] != '{' {
			return "", notJobFile("not NDJSON: the first line is not a JSON object")
		}
		if complete && !json.Valid(line) {
			return "", notJobFile("not NDJSON: the first line is not valid JSON")
		}
	default:
		return "", notJobFile("the format must be csv or ndjson")
	}
	return format, nil
}

// NewJobID returns a random job id.
func NewJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "vj_" + hex.EncodeToString(b[:])
}

// Submit stores an upload as a new job's input and queues the job. The
// start of r is checked first (Sniff), and the file is refused and removed
// as soon as it exceeds maxBytes: nothing is kept of a refused upload.
func (e *Engine) Submit(ctx context.Context, meta JobMeta, r io.Reader, maxBytes int64) (store.VerifyJob, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return store.VerifyJob{}, err
	}
	format, err := Sniff(head, meta.Format)
	if err != nil {
		return store.VerifyJob{}, err
	}
	id := meta.ID
	if id == "" {
		id = NewJobID()
	}
	tmp, err := os.CreateTemp(e.opts.Dir, "upload-*.tmp")
	if err != nil {
		return store.VerifyJob{}, fmt.Errorf("match: store upload: %w", err)
	}
	kept := false
	defer func() {
		if !kept {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(br, maxBytes+1))
	if err != nil {
		return store.VerifyJob{}, err
	}
	if n > maxBytes {
		return store.VerifyJob{}, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return store.VerifyJob{}, fmt.Errorf("match: store upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return store.VerifyJob{}, fmt.Errorf("match: store upload: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.inputPath(id)); err != nil {
		return store.VerifyJob{}, fmt.Errorf("match: store upload: %w", err)
	}
	kept = true
	now := e.opts.Now().UTC()
	sum, _ := json.Marshal(JobSummary{})
	j := store.VerifyJob{ID: id, Agency: meta.Agency, Client: meta.Client, Purpose: meta.Purpose, Format: string(format),
		State: StateQueued, InputBytes: n, Summary: sum, CreatedAt: now, UpdatedAt: now}
	if err := e.st.CreateVerifyJob(ctx, j); err != nil {
		os.Remove(e.inputPath(id))
		return store.VerifyJob{}, err
	}
	j.Version = 1
	e.Wake()
	return j, nil
}

// SubmitFile queues a job over a file on this machine without copying it:
// the job's input is a link to inputPath, and its result is written to
// resultPath (the command line's --output). The file is checked as an
// upload is (Sniff). It is for operators at the server, not for agencies.
func (e *Engine) SubmitFile(ctx context.Context, meta JobMeta, inputPath, resultPath string) (store.VerifyJob, error) {
	in, err := filepath.Abs(inputPath)
	if err != nil {
		return store.VerifyJob{}, err
	}
	out, err := filepath.Abs(resultPath)
	if err != nil {
		return store.VerifyJob{}, err
	}
	f, err := os.Open(in)
	if err != nil {
		return store.VerifyJob{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return store.VerifyJob{}, err
	}
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return store.VerifyJob{}, err
	}
	format, err := Sniff(head[:n], meta.Format)
	if err != nil {
		return store.VerifyJob{}, err
	}
	id := meta.ID
	if id == "" {
		id = NewJobID()
	}
	if err := os.Symlink(in, e.inputPath(id)); err != nil {
		return store.VerifyJob{}, fmt.Errorf("match: link input: %w", err)
	}
	if err := os.Symlink(out, e.resultPath(id)); err != nil {
		os.Remove(e.inputPath(id))
		return store.VerifyJob{}, fmt.Errorf("match: link result: %w", err)
	}
	now := e.opts.Now().UTC()
	sum, _ := json.Marshal(JobSummary{})
	j := store.VerifyJob{ID: id, Agency: meta.Agency, Client: meta.Client, Purpose: meta.Purpose, Format: string(format),
		State: StateQueued, InputBytes: st.Size(), Summary: sum, CreatedAt: now, UpdatedAt: now}
	if err := e.st.CreateVerifyJob(ctx, j); err != nil {
		os.Remove(e.inputPath(id))
		os.Remove(e.resultPath(id))
		return store.VerifyJob{}, err
	}
	j.Version = 1
	return j, nil
}

// Wake makes Run look for queued jobs now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// OnProgress calls fn with the job's state after each of its batches until
// it returns; it replaces an earlier callback for the job.
func (e *Engine) OnProgress(id string, fn func(store.VerifyJob)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if fn == nil {
		delete(e.progress, id)
	} else {
		e.progress[id] = fn
	}
}

// Run runs pending jobs, oldest first, until ctx ends: those left running by
// a stopped process first (they resume at their checkpoint), then each new
// one as it is submitted.
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.opts.PollInterval)
	defer t.Stop()
	for {
		if err := e.RunPending(ctx); err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "match: jobs", "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.wake:
		case <-t.C:
		}
	}
}

// RunPending runs every pending job to its end and returns; the first
// store error ends it.
func (e *Engine) RunPending(ctx context.Context) error {
	jobs, err := e.st.PendingVerifyJobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := e.RunJob(ctx, j.ID); err != nil {
			return err
		}
	}
	return nil
}

// RunJob runs one job from its checkpoint to its end. A job that fails for
// its own reasons (its input is gone) is marked failed and RunJob returns
// nil; a cancelled ctx or a store failure returns the error and leaves the
// job to be resumed.
func (e *Engine) RunJob(ctx context.Context, id string) error {
	j, err := e.st.VerifyJob(ctx, id)
	if err != nil {
		return err
	}
	if j.State != StateQueued && j.State != StateRunning {
		return nil
	}
	e.log.InfoContext(ctx, "match: job starts", "job", j.ID, "offset", j.Offset, "lines", j.Lines)
	err = e.process(ctx, &j)
	if errors.Is(err, store.ErrConflict) {
		// Someone else wrote the job since its last checkpoint: a
		// cancellation ends the run there; anything else is an error.
		if now, rerr := e.st.VerifyJob(ctx, id); rerr == nil && now.State == StateCancelled {
			e.log.InfoContext(ctx, "match: job cancelled", "job", j.ID, "lines", now.Lines)
			e.notify(now)
			return nil
		}
	}
	var jf *jobFailure
	if errors.As(err, &jf) {
		e.log.WarnContext(ctx, "match: job failed", "job", j.ID, "reason", jf.reason)
		j.State, j.Error, j.Version = StateFailed, jf.reason, j.Version+1
		j.UpdatedAt = e.opts.Now().UTC()
		j.FinishedAt = j.UpdatedAt
		return e.st.SaveVerifyJob(context.WithoutCancel(ctx), j)
	}
	if err != nil {
		return err
	}
	e.log.InfoContext(ctx, "match: job done", "job", j.ID, "lines", j.Lines)
	return nil
}

// jobFailure is an error that ends a job for good; reason is shown to the
// agency and carries no personal data.
type jobFailure struct{ reason string }

func (f *jobFailure) Error() string { return "match: job failed: " + f.reason }

// item is one line of a batch.
type item struct {
	line int64
	sub  Subscriber
	err  *LineError
}

// batch is lines read and parsed, with the input consumed for them.
type batch struct {
	items []item
	bytes int64 // input bytes the batch consumed
	lines int64 // input lines the batch consumed
	needs bool  // some line needs the person's document
	// recs are the records of the batch's valid PINs that are on the
	// registry, filled by lookup.
	recs map[string]*Record
}

// process answers a job's lines from its checkpoint on.
func (e *Engine) process(ctx context.Context, j *store.VerifyJob) error {
	in, err := os.Open(e.inputPath(j.ID))
	if errors.Is(err, os.ErrNotExist) {
		return &jobFailure{reason: "the input file is gone"}
	}
	if err != nil {
		return err
	}
	defer in.Close()
	var cols *Columns
	var headerBytes int64
	if Format(j.Format) == CSV {
		hr := bufio.NewReaderSize(in, MaxLineBytes+2)
		header, err := hr.ReadSlice('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return &jobFailure{reason: "the header line cannot be read"}
		}
		c, err := ParseCSVHeader(header)
		if err != nil {
			return &jobFailure{reason: err.Error()}
		}
		cols = &c
		headerBytes = int64(len(header))
		if j.Offset == 0 {
			j.Offset, j.Lines = int64(len(header)), 1
		}
	}
	marks, err := e.marks(ctx, j, cols, headerBytes)
	if err != nil {
		return err
	}
	if _, err := in.Seek(j.Offset, io.SeekStart); err != nil {
		return err
	}
	out, err := os.OpenFile(e.resultPath(j.ID), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	// Whatever follows the checkpoint was written by a run that stopped
	// before committing it: it goes, and its lines are answered again.
	if err := out.Truncate(j.ResultBytes); err != nil {
		return err
	}
	if _, err := out.Seek(j.ResultBytes, io.SeekStart); err != nil {
		return err
	}
	if j.ResultBytes == 0 {
		n, err := out.WriteString(resultHeader)
		if err != nil {
			return err
		}
		j.ResultBytes = int64(n)
	}
	var sum JobSummary
	if len(j.Summary) > 0 {
		if err := json.Unmarshal(j.Summary, &sum); err != nil {
			return fmt.Errorf("match: job %s: stored summary: %w", j.ID, err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Three stages, so that two cores both work: reading and parsing,
	// looking up the batch's PINs, and answering (counts, results, access
	// log, checkpoint), which alone touches the job's state.
	parsed := make(chan batch, 2)
	batches := make(chan batch, 1)
	var readErr, lookupErr error
	// The batches' lookups may share a read snapshot of the registry a few
	// seconds old (store.ShareSnapshot): the job's own checkpoints would
	// otherwise make every batch's lookups start cold.
	snapCtx := store.ShareSnapshot(ctx)
	go func() {
		defer close(parsed)
		readErr = e.read(ctx, in, cols, j.Lines, parsed)
	}()
	go func() {
		defer close(batches)
		for b := range parsed {
			if lookupErr != nil {
				continue // drain, so that the reader ends
			}
			if lookupErr = e.lookup(snapCtx, &b); lookupErr != nil {
				cancel()
				continue
			}
			select {
			case batches <- b:
			case <-ctx.Done():
			}
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	var n int
	var procErr error
	for b := range batches {
		if procErr != nil {
			continue // drain, so that the reader ends
		}
		n++
		if procErr = e.answer(ctx, j, b, &sum, w, out, n, marks); procErr != nil {
			cancel()
		}
	}
	if procErr != nil {
		return procErr
	}
	if lookupErr != nil {
		return lookupErr
	}
	if readErr != nil {
		return readErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := e.opts.Now().UTC()
	j.State, j.Version, j.UpdatedAt, j.FinishedAt = StateDone, j.Version+1, now, now
	if err := e.st.SaveVerifyJob(ctx, *j); err != nil {
		return err
	}
	e.notify(*j)
	e.removeInput(ctx, j.ID)
	return nil
}

// removeInput deletes a finished job's subscriber data (its input and its
// marks); the result stays for the agency to download.
func (e *Engine) removeInput(ctx context.Context, id string) {
	for _, p := range []string{e.inputPath(id), e.marksPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			e.log.WarnContext(ctx, "match: job input not removed", "job", id, "error", err)
		}
	}
}

func (e *Engine) notify(j store.VerifyJob) {
	e.mu.Lock()
	fn := e.progress[j.ID]
	e.mu.Unlock()
	if fn != nil {
		fn(j)
	}
}

// read reads lines after line number done and sends them in batches.
func (e *Engine) read(ctx context.Context, in io.Reader, cols *Columns, done int64, out chan<- batch) error {
	br := bufio.NewReaderSize(in, 1<<20)
	lineNo := done
	var fields []string
	newBatch := func() batch { return batch{items: make([]item, 0, e.opts.BatchLines)} }
	cur := newBatch()
	for {
		raw, err := br.ReadSlice('\n')
		consumed := int64(len(raw))
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			raw, err = br.ReadSlice('\n')
			consumed += int64(len(raw))
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if consumed > 0 {
			lineNo++
			it := item{line: lineNo}
			line := bytes.TrimRight(raw, "\r\n")
			if lineNo == 1 { // a byte order mark is not part of the first line
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			switch {
			case tooLong || len(line) > MaxLineBytes:
				it.err = lineErr("", "longer than %d bytes", MaxLineBytes)
			case len(bytes.TrimSpace(line)) == 0:
				it.err = lineErr("", "the line is empty")
			case cols != nil:
				it.sub, fields, it.err = ParseCSVLine(cols, line, fields)
			default:
				it.sub, it.err = ParseNDJSONLine(line)
			}
			if it.err != nil {
				it.err.Line = lineNo
			} else if it.sub.Claim.needsDocument() {
				cur.needs = true
			}
			cur.items = append(cur.items, it)
			cur.bytes += consumed
			cur.lines++
			if len(cur.items) >= e.opts.BatchLines {
				select {
				case out <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur = newBatch()
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(cur.items) > 0 {
		select {
		case out <- cur:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// lookup reads the records of a batch's valid PINs in one query.
func (e *Engine) lookup(ctx context.Context, b *batch) error {
	pins := make([]string, 0, len(b.items))
	for i := range b.items {
		if b.items[i].err == nil && b.items[i].sub.PINOK {
			pins = append(pins, b.items[i].sub.PIN)
		}
	}
	slices.Sort(pins)
	pins = slices.Compact(pins)
	rows, err := e.st.VerifyRows(ctx, pins, b.needs)
	if err != nil {
		return err
	}
	b.recs = make(map[string]*Record, len(rows))
	for _, row := range rows {
		r, err := recordOf(row)
		if err != nil {
			return fmt.Errorf("match: person record: %w", err)
		}
		b.recs[row.PIN] = &r
	}
	return nil
}

// answer verifies one batch, writes its results, records its accesses and
// commits the checkpoint.
func (e *Engine) answer(ctx context.Context, j *store.VerifyJob, b batch, sum *JobSummary, w *bufio.Writer, out *os.File, n int, marks *lineMarks) error {
	recs := b.recs
	var accesses []audit.Access
	accessed := append([]string{"status"}, marks.claimed...)
	start := j.ResultBytes
	var written int64
	var line []byte
	for i := range b.items {
		it := &b.items[i]
		result, fields, reason := e.decide(it, recs, marks)
		sum.add(result)
		line = appendResult(line[:0], it, result, fields, reason)
		k, err := w.Write(line)
		written += int64(k)
		if err != nil {
			return err
		}
		// One entry per person and job, at the first line that names the
		// person, listing what any line of the job claims.
		if rec := recs[it.sub.PIN]; it.err == nil && rec != nil && marks.isFirst(it.line) {
			accesses = append(accesses, audit.Access{
				ActorKind: actorKind(j), Actor: j.Client, Agency: strings.TrimPrefix(j.Agency, CLIAgency), Purpose: j.Purpose, CaseRef: j.ID,
				PIN: rec.PIN, Fields: accessed, Action: "verify",
			})
		}
	}
	// The accesses are on record before any answer about them is kept.
	if len(accesses) > 0 {
		if e.rec == nil {
			return errors.New("match: no access log")
		}
		// A refused batch is tried again a few times: the log refuses a
		// batch once when another process appended before it.
		for try := 1; ; try++ {
			err := e.rec.Record(ctx, accesses...)
			if err == nil {
				break
			}
			if try == 3 || ctx.Err() != nil {
				return fmt.Errorf("match: record accesses: %w", err)
			}
			time.Sleep(time.Duration(try) * 100 * time.Millisecond)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if e.afterWrite != nil {
		if err := e.afterWrite(*j, n); err != nil {
			return err
		}
	}
	next := *j
	next.State, next.Version = StateRunning, j.Version+1
	next.Offset += b.bytes
	next.Lines += b.lines
	next.ResultBytes = start + written
	next.UpdatedAt = e.opts.Now().UTC()
	next.Summary, _ = json.Marshal(sum)
	if err := e.st.SaveVerifyJob(ctx, next); err != nil {
		return err
	}
	*j = next
	e.notify(next)
	return nil
}

// CLIAgency is the agency of jobs run from the command line by the
// operator of the server.
const CLIAgency = "-"

// actorKind is who the access log says verified: an agency's client, or
// the operator at the command line.
func actorKind(j *store.VerifyJob) string {
	if j.Agency == CLIAgency {
		return "admin"
	}
	return "client"
}

// decide answers one line.
func (e *Engine) decide(it *item, recs map[string]*Record, marks *lineMarks) (result string, fields []string, reason string) {
	if it.err != nil {
		r := it.err.Reason
		if it.err.Field != "" {
			r = it.err.Field + ": " + r
		}
		return ResultMalformed, nil, r
	}
	if !it.sub.PINOK {
		return ResultInvalidPIN, nil, ""
	}
	rec := recs[it.sub.PIN]
	switch {
	case rec == nil:
		return ResultNotFound, nil, ""
	case rec.State == registry.Dead:
		return ResultDeceased, nil, ""
	case rec.State == registry.Missing:
		return ResultMissing, nil, ""
	}
	if marks.isOver(it.line) {
		return ResultOverLimit, nil, ""
	}
	for i, x := range judge(&it.sub.Claim, rec) {
		if x < 0 {
			fields = append(fields, attrOrder[i])
		}
	}
	if len(fields) > 0 {
		return ResultMismatch, fields, ""
	}
	return ResultMatch, nil, ""
}

// appendResult appends one CSV result line.
func appendResult(b []byte, it *item, result string, fields []string, reason string) []byte {
	b = strconv.AppendInt(b, it.line, 10)
	b = append(b, ',')
	if it.err == nil {
		b = append(b, it.sub.Phone...) // digits only
	}
	b = append(b, ',')
	b = append(b, result...)
	b = append(b, ',')
	b = append(b, strings.Join(fields, ";")...)
	b = append(b, ',')
	if reason != "" {
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(reason, `"`, `""`)...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// Job returns a job of an agency; another agency's job is store.ErrNotFound.
func (e *Engine) Job(ctx context.Context, agency, id string) (store.VerifyJob, error) {
	j, err := e.st.VerifyJob(ctx, id)
	if err != nil {
		return j, err
	}
	if agency != "" && j.Agency != agency {
		return store.VerifyJob{}, fmt.Errorf("match: job: %w", store.ErrNotFound)
	}
	return j, nil
}

// ErrJobFinished is returned by Cancel for a job that is no longer queued
// or running.
var ErrJobFinished = errors.New("match: the job has finished")

// Cancel stops a queued or running job of an agency ("" for any agency):
// the job is marked cancelled at once, the process running it stops at its
// next checkpoint (its write conflicts with the cancellation), the lines
// answered so far stay in the result file, and the subscribers' data (the
// input and the job's subscription counts) is deleted.
func (e *Engine) Cancel(ctx context.Context, agency, id string) (store.VerifyJob, error) {
	for try := 1; ; try++ {
		j, err := e.Job(ctx, agency, id)
		if err != nil {
			return j, err
		}
		if j.State != StateQueued && j.State != StateRunning {
			return j, ErrJobFinished
		}
		now := e.opts.Now().UTC()
		j.State, j.Version, j.UpdatedAt, j.FinishedAt = StateCancelled, j.Version+1, now, now
		err = e.st.SaveVerifyJob(ctx, j)
		if errors.Is(err, store.ErrConflict) && try < 10 {
			continue // the runner checkpointed in between: read again
		}
		if err != nil {
			return j, err
		}
		e.log.InfoContext(ctx, "match: job cancelled", "job", j.ID)
		e.removeInput(ctx, j.ID)
		return j, nil
	}
}

// HasResult reports whether a job's result file can be downloaded: a job
// done, or cancelled after answering some lines (its result holds those).
func HasResult(j store.VerifyJob) bool {
	return j.State == StateDone || j.State == StateCancelled && j.ResultBytes > int64(len(resultHeader))
}

// Jobs lists an agency's jobs ("" for every agency's), newest first.
func (e *Engine) Jobs(ctx context.Context, agency string, limit int) ([]store.VerifyJob, error) {
	return e.st.VerifyJobs(ctx, agency, limit)
}

// OpenResult opens a job's result file, of the checkpointed length (see
// HasResult).
func (e *Engine) OpenResult(j store.VerifyJob) (io.ReadSeekCloser, int64, error) {
	f, err := os.Open(e.resultPath(j.ID))
	if err != nil {
		return nil, 0, err
	}
	return f, j.ResultBytes, nil
}
