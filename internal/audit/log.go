package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/store"
)

// Store is what the log needs of the store: the access-log tables and the
// settings where its keys live.
type Store interface {
	store.AccessLog
	Setting(ctx context.Context, key string) (string, error)
	SetSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}

// Options configure a Log. The zero value is usable.
type Options struct {
	// Origin names the log in checkpoints and is the signing key's name;
	// it is fixed when the key is generated at first start. Default
	// DefaultOrigin.
	Origin string
	// CheckpointEvery is how often a checkpoint is signed when the tree
	// grew. Default 2s; negative disables the background signer (tests call
	// Checkpoint themselves).
	CheckpointEvery time.Duration
	// MaxBatch bounds the entries committed in one transaction. Default 8192.
	MaxBatch int
	// IndexEvery is how often the background indexer adds the entries
	// committed since its last run to the person index; it also runs as
	// soon as IndexBatch entries wait. Default 1s; negative disables it
	// (listings stay complete, scanning the unindexed tail).
	IndexEvery time.Duration
	// IndexBatch bounds the entries indexed in one transaction; the
	// indexer also runs as soon as this many wait. Default 4096: on SQLite
	// each batch becomes a sorted run of the index (written in order, a
	// few milliseconds while the appends wait for the file's writer), and
	// larger runs mean fewer merges; listings scan up to about this many
	// unindexed entries.
	IndexBatch int
	// Logger receives failures of the background signer and indexer; nil
	// discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: log closed")

// Log is the access log: it implements Recorder with group commit, signs
// checkpoints and answers proofs. It is the single writer of the log (see
// the package documentation); it is safe for concurrent use.
type Log struct {
	st     Store
	keys   *keys
	origin string
	opts   Options
	log    *slog.Logger

	reqs chan *request
	stop chan struct{}
	// exited is closed when the writer has stopped and failed the queue.
	exited chan struct{}
	done   sync.WaitGroup
	once   sync.Once

	// Writer state, owned by the committer goroutine.
	w writerState

	// signMu makes one Checkpoint call at a time.
	signMu sync.Mutex

	// indexed is how far the person index reached at the indexer's last
	// run; the writer wakes the indexer through indexNow when a batch's
	// worth of entries waits beyond it.
	indexed  atomic.Int64
	indexNow chan struct{}

	metrics *metrics
}

// request is one Record call waiting for its batch to commit.
type request struct {
	leaves  [][]byte
	persons [][]byte
	done    chan error
}

// writerState is the tree as the writer knows it: the size, the number of
// stored hashes, and the hashes of the complete subtrees along the right
// edge, which are all that appending (and the root) needs. Keeping them in
// memory means an append reads nothing from the store.
type writerState struct {
	loaded    bool
	size      int64
	hashCount int64
	// edge[k], for each bit k set in size, is the hash of the complete
	// subtree of 2^k entries that bit stands for; other slots are stale.
	edge [64]tlog.Hash
}

// push appends the entry at index n = w.size with leaf hash h, appending
// the stored hashes it adds to out (as tlog.StoredHashesForRecordHash
// computes them: the leaf hash, then one node per level it completes)
// and returning out. It reads nothing: the left siblings are on the edge.
func (w *writerState) push(h tlog.Hash, out [][32]byte) [][32]byte {
	n := w.size
	out = append(out, h)
	k := 0
	for n>>k&1 == 1 {
		h = tlog.NodeHash(w.edge[k], h)
		out = append(out, h)
		k++
	}
	w.edge[k] = h
	w.size++
	w.hashCount += int64(k) + 1
	return out
}

// Open returns the log over st, generating its keys at first start, and
// starts the writer and the background checkpoint signer. Close stops them.
func Open(ctx context.Context, st Store, opts Options) (*Log, error) {
	if opts.Origin == "" {
		opts.Origin = DefaultOrigin
	}
	if opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = 2 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 8192
	}
	if opts.IndexEvery == 0 {
		opts.IndexEvery = time.Second
	}
	if opts.IndexBatch <= 0 {
		opts.IndexBatch = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	k, err := setupKeys(ctx, st, opts.Origin)
	if err != nil {
		return nil, err
	}
	l := &Log{
		st: st, keys: k, origin: opts.Origin, opts: opts, log: logger,
		reqs: make(chan *request, 4096),
		stop: make(chan struct{}), exited: make(chan struct{}),
		indexNow: make(chan struct{}, 1),
		metrics:  newMetrics(),
	}
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	l.done.Add(1)
	go l.writer()
	if opts.CheckpointEvery > 0 {
		l.done.Add(1)
		go l.signer(opts.CheckpointEvery)
	}
	if opts.IndexEvery > 0 {
		l.done.Add(1)
		go l.indexer(opts.IndexEvery)
	}
	return l, nil
}

// Close stops the writer after the batches in flight, failing the calls
// still queued with ErrClosed, and stops the signer after signing a last
// checkpoint.
func (l *Log) Close() error {
	l.once.Do(func() { close(l.stop) })
	l.done.Wait()
	return nil
}

// VerifierKey returns the checkpoint verifier key in the signed-note format
// ("origin+hash+base64"), which note.NewVerifier accepts.
func (l *Log) VerifierKey() string { return l.keys.vkey }

// Verifier returns the note verifier of the log's checkpoints.
func (l *Log) Verifier() note.Verifier { return l.keys.verifier }

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// Pseudonym returns the keyed pseudonym under which a person's entries are
// stored, for listing them.
func (l *Log) Pseudonym(pin string) []byte { return l.keys.appendPseudonym(nil, pin) }

// Record appends the accesses and returns once they are durable. Calls from
// many goroutines are gathered into one transaction (group commit): each
// caller waits for the commit of the batch its entries went into. It
// implements Recorder.
//
// Accesses that differ only in the person, one after the other (a bulk
// job's batch: one actor, purpose, case and fields for thousands of
// people), share their leaves' encoding: each further entry costs its
// pseudonym and a copy. The leaves are the same bytes either way.
func (l *Log) Record(ctx context.Context, accesses ...Access) error {
	if len(accesses) == 0 {
		return nil
	}
	for i := range accesses {
		if err := accesses[i].validate(); err != nil {
			return err
		}
	}
	n := len(accesses)
	req := &request{
		leaves:  make([][]byte, n),
		persons: make([][]byte, n),
		done:    make(chan error, 1),
	}
	now := l.opts.Now()
	// One allocation for the pseudonyms and one (about) for the leaves,
	// rather than two per entry: the entries live until their commit.
	persons := make([]byte, 0, n*PseudonymSize)
	var leaves []byte
	ph := l.keys.pseudonymHash()
	var t leafTemplate
	var prev Access
	for i := range accesses {
		a := accesses[i]
		if a.Time.IsZero() {
			a.Time = now
		}
		if i == 0 || !sameLeafTemplate(&a, &prev) {
			t = newLeafTemplate(a)
			if need := (n - i) * t.len(); cap(leaves)-len(leaves) < need {
				leaves = make([]byte, 0, need)
			}
		}
		prev = a
		persons = ph.appendPseudonym(persons, a.PIN)
		p := persons[len(persons)-PseudonymSize : len(persons) : len(persons)]
		start := len(leaves)
		leaves = t.appendLeaf(leaves, p)
		req.leaves[i], req.persons[i] = leaves[start:len(leaves):len(leaves)], p
	}
	l.keys.putPseudonymHash(ph)
	select {
	case <-l.stop:
		return ErrClosed
	default:
	}
	defer since(l.metrics.record, time.Now())
	select {
	case l.reqs <- req:
	case <-l.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-l.exited:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		// The entries may still be committed: an access recorded but
		// not answered is the safe side.
		return ctx.Err()
	}
}

// writer gathers queued requests into the next batch while the committer
// appends the previous one, and hands the batch over the moment the
// committer is free: while batch k syncs, batch k+1 fills. Under load each
// commit takes everything that arrived during the previous one, so the
// batch size follows the load with no timer; on an idle log a lone caller
// is committed at once.
func (l *Log) writer() {
	defer l.done.Done()
	defer close(l.exited)
	commits := make(chan []*request) // unbuffered: a hand-over means the committer is free
	committed := make(chan struct{})
	go l.committer(commits, committed)
	defer func() {
		close(commits)
		<-committed // the batch in flight is answered with its outcome
		l.failQueued()
	}()
	var batch []*request
	n := 0
	for {
		// Take everything already queued before offering the batch, so
		// that the committer gets as large a batch as there is.
	drain:
		for n < l.opts.MaxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
				n += len(r.leaves)
			default:
				break drain
			}
		}
		var in <-chan *request
		if n < l.opts.MaxBatch {
			in = l.reqs
		}
		var out chan<- []*request
		if len(batch) > 0 {
			out = commits
		}
		select {
		case r := <-in:
			batch = append(batch, r)
			n += len(r.leaves)
		case out <- batch:
			batch, n = nil, 0
		case <-l.stop:
			for _, r := range batch {
				r.done <- ErrClosed
			}
			return
		}
	}
}

// committer appends the batches the writer hands over, one at a time, and
// answers their callers.
func (l *Log) committer(commits <-chan []*request, committed chan<- struct{}) {
	defer close(committed)
	for batch := range commits {
		n := 0
		for _, r := range batch {
			n += len(r.leaves)
		}
		start := time.Now()
		err := l.commit(context.Background(), batch, n)
		since(l.metrics.commit, start)
		l.metrics.batch.Observe(float64(n))
		for _, r := range batch {
			r.done <- err
		}
	}
}

func (l *Log) failQueued() {
	for {
		select {
		case r := <-l.reqs:
			r.done <- ErrClosed
		default:
			return
		}
	}
}

// maxConflicts bounds how often one batch is tried again after another
// writer appended first.
const maxConflicts = 50

// commit appends one batch. Another process may append to the same log (an
// operator's command, a second server until leases come): the store then
// refuses the append with store.ErrConflict, and the batch is hashed again
// on top of what the store holds now. Entries carry no index of their own,
// so nothing but their position changes.
func (l *Log) commit(ctx context.Context, batch []*request, n int) error {
	for attempt := 1; ; attempt++ {
		err := l.commitOnce(ctx, batch, n)
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt == maxConflicts {
			return err
		}
	}
}

func (l *Log) commitOnce(ctx context.Context, batch []*request, n int) error {
	if !l.w.loaded {
		if err := l.load(ctx); err != nil {
			return err
		}
	}
	// The batch is hashed on a copy of the writer state, kept only once the
	// store has the batch.
	w := l.w
	b := store.AccessBatch{
		First: w.size, HashStart: w.hashCount,
		Entries: make([]store.AccessEntry, 0, n),
		Hashes:  make([][32]byte, 0, 2*n+64),
	}
	for _, req := range batch {
		for i, leaf := range req.leaves {
			b.Entries = append(b.Entries, store.AccessEntry{Index: w.size, Person: req.persons[i], Data: leaf})
			b.Hashes = w.push(tlog.RecordHash(leaf), b.Hashes)
		}
	}
	if err := l.st.AppendAccess(ctx, b); err != nil {
		// The outcome may be unknown (a lost connection after the commit):
		// start again from what the store holds.
		l.w.loaded = false
		return fmt.Errorf("audit: append: %w", err)
	}
	l.w = w
	if w.size-l.indexed.Load() >= int64(l.opts.IndexBatch) {
		select {
		case l.indexNow <- struct{}{}:
		default:
		}
	}
	return nil
}

// load reads the writer state from the store.
func (l *Log) load(ctx context.Context) error {
	size, err := l.st.AccessLogSize(ctx)
	if err != nil {
		return fmt.Errorf("audit: load: %w", err)
	}
	idx := frontierIndexes(size)
	hs, err := l.storeHashes(ctx).ReadHashes(idx)
	if err != nil {
		return fmt.Errorf("audit: load: %w", err)
	}
	w := writerState{loaded: true, size: size, hashCount: tlog.StoredHashCount(size)}
	// frontierIndexes lists the subtrees largest first, one per set bit.
	j := 0
	for k := 62; k >= 0; k-- {
		if size>>k&1 == 1 {
			w.edge[k] = hs[j]
			j++
		}
	}
	l.w = w
	return nil
}

// frontierIndexes returns the stored-hash indexes of the complete subtrees
// that make up a tree of size n, largest first: the nodes a new entry's
// hashes combine with, and the inputs of the root.
func frontierIndexes(n int64) []int64 {
	var idx []int64
	for level := 62; level >= 0; level-- {
		if n>>level&1 == 1 {
			idx = append(idx, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	return idx
}

// storeHashes reads stored hashes from the store.
func (l *Log) storeHashes(ctx context.Context) tlog.HashReader {
	return storeHashReader(ctx, l.st)
}

func storeHashReader(ctx context.Context, st store.AccessLog) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		raw, err := st.AccessHashes(ctx, idx)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(raw))
		for i, h := range raw {
			out[i] = h
		}
		return out, nil
	})
}

// indexer keeps the person index close behind the log: at start (catching
// up after a crash between an entry's commit and its indexing), every
// interval, when the writer says a full batch waits, and once more on Close.
// It is an optimisation only: listings scan what it has not indexed yet.
func (l *Log) indexer(every time.Duration) {
	defer l.done.Done()
	l.RunIndexer(context.Background(), every)
}

// RunIndexer runs the person indexer until ctx is done or the log is
// closed, for a process that runs it under a lease (open the log with
// IndexEvery < 0). Running it in several processes at once is correct, only
// wasteful.
func (l *Log) RunIndexer(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		l.catchUpIndex(10*every + 10*time.Second)
		select {
		case <-t.C:
		case <-l.indexNow:
		case <-ctx.Done():
			return
		case <-l.stop:
			l.catchUpIndex(10 * time.Second)
			return
		}
	}
}

// catchUpIndex indexes batch after batch until a batch comes back short.
func (l *Log) catchUpIndex(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		prev := l.indexed.Load()
		start := time.Now()
		n, err := l.st.IndexAccesses(ctx, l.opts.IndexBatch)
		since(l.metrics.index, start)
		if err != nil {
			l.log.Error("access log person index not updated", "error", err)
			return
		}
		l.indexed.Store(n)
		if n-prev < int64(l.opts.IndexBatch) {
			return
		}
	}
}

// signer signs a checkpoint every interval when the tree grew.
func (l *Log) signer(every time.Duration) {
	defer l.done.Done()
	l.RunSigner(context.Background(), every)
}

// RunSigner signs a checkpoint every interval when the tree grew, until ctx
// is done or the log is closed, for a process that runs it under a lease
// (open the log with CheckpointEvery < 0). Two signers at once are correct:
// each re-checks the tree before it signs.
func (l *Log) RunSigner(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		case <-l.stop:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*every+10*time.Second)
		// An empty log has nothing to sign yet; any other failure is loud: an
		// unsigned log is a log nobody can check.
		if _, err := l.Checkpoint(sctx); err != nil && !errors.Is(err, ErrNoCheckpoint) {
			l.log.Error("access log checkpoint not signed", "error", err)
		}
		cancel()
	}
}
