//go:build linux

package crash_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/loadgen"
	"github.com/dancu/dancu/internal/registry"
)

// requireFaultFSVar, when set (CI sets it), turns the fault tests' skips
// into failures: there the machine is known to allow loop mounts.
const requireFaultFSVar = "DANCU_REQUIRE_FAULTFS"

// faultUnavailable skips the test because the machine cannot build the
// faulty file system, or fails it where it must.
func faultUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireFaultFSVar) != "" {
		t.Fatalf("%s (and %s is set)", msg, requireFaultFSVar)
	}
	t.Skip(msg + "; skipping the disk fault test")
}

// faultFS is a small ext4 file system in an image file on a loop device,
// mounted with errors=remount-ro. Both faults it produces are real, not
// simulated inside dancu: filling it makes the kernel answer ENOSPC, and
// an ext4 error makes the kernel abort the journal and turn the mount
// read-only under the running process (EROFS on every write, even through
// files already open) — what a production server sees when its disk fails.
type faultFS struct {
	t   *testing.T
	img string
	dir string // the mount point
	dev string // the loop device, such as /dev/loop3
}

// newFaultFS makes and mounts an ext4 file system of size bytes. It skips
// the test where the machine cannot: not root, no loop devices, no ext4
// tools.
func newFaultFS(t *testing.T, size int64) *faultFS {
	t.Helper()
	if os.Geteuid() != 0 {
		faultUnavailable(t, "mounting a file system needs root")
	}
	for _, tool := range []string{"mkfs.ext4", "e2fsck", "mount", "umount", "findmnt"} {
		if _, err := exec.LookPath(tool); err != nil {
			faultUnavailable(t, "%s is not installed (e2fsprogs, util-linux)", tool)
		}
	}
	f := &faultFS{t: t, img: filepath.Join(t.TempDir(), "fs.img"), dir: t.TempDir()}
	img, err := os.Create(f.img)
	if err != nil {
		t.Fatal(err)
	}
	if err := img.Truncate(size); err != nil {
		t.Fatal(err)
	}
	img.Close()
	// -m 0: no blocks reserved for root, who the tests run as, so "full"
	// means full. The eager init keeps ext4lazyinit from writing in the
	// background.
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0", f.img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	if err := f.mount(); err != nil {
		faultUnavailable(t, "cannot loop-mount an ext4 image: %v", err)
	}
	// Registered after t.TempDir's removals, so it runs before them; and
	// the servers the test starts later are killed before it runs.
	t.Cleanup(func() {
		if err := f.umount(); err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
	return f
}

func (f *faultFS) mount() error {
	if out, err := exec.Command("mount", "-o", "loop,errors=remount-ro", f.img, f.dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", f.dir).Output()
	if err != nil {
		return fmt.Errorf("findmnt: %v", err)
	}
	f.dev = strings.TrimSpace(string(out))
	return nil
}

// umount unmounts the file system; the loop device goes with it
// (autoclear). It tries for a while: the kernel may still hold the files
// of a process that has just been killed.
func (f *faultFS) umount() error {
	var out []byte
	var err error
	for range 50 {
		if out, err = exec.Command("umount", f.dir).CombinedOutput(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("umount %s: %v: %s", f.dir, err, bytes.TrimSpace(out))
}

// failReadOnly makes ext4 record an error, as it does on a failed disk
// write or corrupted metadata: with errors=remount-ro the kernel aborts the
// journal and the mount turns read-only at once. trigger_fs_error is
// ext4's own switch for this, in sysfs.
func (f *faultFS) failReadOnly() {
	f.t.Helper()
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(f.dev), "trigger_fs_error")
	if _, err := os.Stat(trigger); err != nil {
		faultUnavailable(f.t, "this kernel's ext4 has no %s", trigger)
	}
	if err := os.WriteFile(trigger, []byte("dancu fault test\n"), 0); err != nil {
		f.t.Fatalf("trigger an ext4 error: %v", err)
	}
	probe := filepath.Join(f.dir, "probe")
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := os.WriteFile(probe, []byte("x"), 0o600)
		if errors.Is(err, syscall.EROFS) {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the file system is still writable 10s after the ext4 error (%v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// repair is what an operator does after the disk fault has been dealt
// with: unmount, check and repair the file system, mount it again. Every
// process using it must have ended.
func (f *faultFS) repair() {
	f.t.Helper()
	if err := f.umount(); err != nil {
		f.t.Fatal(err)
	}
	// e2fsck exits 1 when it corrected errors, which is expected here (the
	// error the test recorded); 4 and above mean it could not.
	out, err := exec.Command("e2fsck", "-f", "-y", f.img).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() < 4) {
		f.t.Fatalf("e2fsck: %v\n%s", err, out)
	}
	if err := f.mount(); err != nil {
		f.t.Fatalf("mount again: %v", err)
	}
}

// fill takes every free block with a file, so that the next write needing
// a new block fails with ENOSPC, and returns the function that frees them.
func (f *faultFS) fill() (release func()) {
	f.t.Helper()
	path := filepath.Join(f.dir, "filler")
	fh, err := os.Create(path)
	if err != nil {
		f.t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for size := len(buf); size >= 512; size /= 8 {
		for {
			if _, err := fh.Write(buf[:size]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					f.t.Fatalf("fill the file system: %v", err)
				}
				break
			}
		}
	}
	fh.Close()
	var st syscall.Statfs_t
	if err := syscall.Statfs(f.dir, &st); err != nil {
		f.t.Fatal(err)
	}
	if free := st.Bavail * uint64(st.Bsize); free > 64<<10 {
		f.t.Fatalf("%d bytes still free after filling the file system", free)
	}
	return func() {
		if err := os.Remove(path); err != nil {
			f.t.Errorf("free the file system: %v", err)
		}
	}
}

// answer is a response as the fault tests look at it.
type answer struct {
	status     int
	ctype      string
	retryAfter string
	body       []byte
	err        error
}

// isRefusal reports whether the answer is the clear refusal a fault must
// give: 503 with Retry-After and a problem+json body — not a 500, which
// says the program is broken, and not a dropped connection.
func (a answer) isRefusal() bool {
	return a.err == nil && a.status == http.StatusServiceUnavailable && a.retryAfter != "" &&
		a.ctype == "application/problem+json"
}

// problemType is the type member of a problem+json answer, "" otherwise.
func (a answer) problemType() string {
	var p struct {
		Type string `json:"type"`
	}
	if a.ctype != "application/problem+json" || json.Unmarshal(a.body, &p) != nil {
		return ""
	}
	return p.Type
}

func (a answer) String() string {
	if a.err != nil {
		return a.err.Error()
	}
	return fmt.Sprintf("%d %s (Retry-After %q) %.200s", a.status, a.ctype, a.retryAfter, a.body)
}

// waitReady polls /readyz until it answers 200, and returns how long that
// took; the test fails after within.
func waitReady(t *testing.T, base string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		an := call("GET", base+"/readyz", adminToken, "", "", nil)
		if an.err == nil && an.status == http.StatusOK {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("/readyz still %v %v after the fault was cleared", an, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// call sends one request with token and, if reqID is not empty, that
// request id, which the access log records.
func call(method, url, token, reqID, ctype string, body []byte) answer {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if reqID != "" {
		req.Header.Set("X-Request-Id", reqID)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), retryAfter: res.Header.Get("Retry-After"), body: b, err: err}
}

// faultWorld is what a fault test has written and learnt through the API.
type faultWorld struct {
	t       *testing.T
	base    string
	sent    *burstLog
	homes   []household
	agency  *loadgen.Agency
	dataset string
	// reads maps the request id of every read answered 200 to the PIN
	// read: each must be in the access log after the fault.
	reads map[string]string
	// records is the dataset record key → PIN of every line an upload
	// acknowledged.
	records map[string]string
	// unrecorded holds the bodies of the events answered "applied, result
	// withheld": each, submitted again, must be answered its first result.
	unrecorded [][]byte
	n          int
}

// publicURL is the audience of the agency's client assertions: serve's
// public URL, which without DANCU_PUBLIC_URL is made of --addr as given.
const publicURL = "http://127.0.0.1:0"

// setUp seeds the households, registers an agency with a dataset it owns,
// and uploads and reads a little, all of which must succeed.
func setUp(t *testing.T, base string) *faultWorld {
	t.Helper()
	w := &faultWorld{t: t, base: base, sent: newBurstLog(), reads: map[string]string{}, records: map[string]string{}}
	w.homes = seed(t, base, w.sent)
	a, err := loadgen.SetUpAgency(context.Background(), httpClient, base, publicURL, adminToken, "fault.test")
	if err != nil {
		t.Fatal(err)
	}
	w.agency = a
	w.dataset = "fault-si"
	body, _ := json.Marshal(map[string]any{"name": w.dataset, "kind": "social-insurance", "agency": a.ID})
	if an := call("POST", base+"/v1/admin/datasets", adminToken, "", "application/json", body); an.status != http.StatusCreated {
		t.Fatalf("register the dataset: %v", an)
	}
	for range 5 {
		if an := w.event(); an.status != http.StatusCreated && an.status != http.StatusNotFound {
			t.Fatalf("event before the fault: %v", an)
		}
		if an := w.read("before"); an.status != http.StatusOK {
			t.Fatalf("read before the fault: %v", an)
		}
	}
	if an := w.upload(20); an.status != http.StatusOK {
		t.Fatalf("upload before the fault: %v", an)
	}
	return w
}

// event posts the next life event of the burst sequence and records it:
// acknowledged, refused by the registry, or answered 503 — which must
// leave nothing, so it is recorded as refused too and checked absent —
// except the 503 that says the event was applied but its access could not
// be recorded: that one is kept to be submitted again after the fault.
func (w *faultWorld) event() answer {
	w.n++
	ev, doomed := lifeEvent(1, 0, w.n, w.homes)
	if doomed {
		w.sent.mu.Lock()
		w.sent.doomed[ev["id"].(string)] = true
		w.sent.mu.Unlock()
	}
	b, _ := json.Marshal(ev)
	an := call("POST", w.base+"/v1/events", adminToken, "", "application/json", b)
	switch {
	case an.err == nil && (an.status == http.StatusCreated || an.status == http.StatusOK):
		var res registry.Result
		if err := json.Unmarshal(an.body, &res); err != nil {
			w.t.Fatalf("decode the result of event %s: %v", ev["id"], err)
		}
		w.sent.record(ev, acked, &res)
	case an.err == nil && an.problemType() == api.ProblemAppliedUnrecorded:
		w.sent.record(ev, unknown, nil)
		w.unrecorded = append(w.unrecorded, b)
	case an.err == nil && an.status < 600:
		w.sent.record(ev, refused, nil)
	default:
		w.sent.record(ev, unknown, nil)
	}
	return an
}

// read reads a person as the administrator, under a request id of its own,
// and remembers the reads answered 200.
func (w *faultWorld) read(phase string) answer {
	w.n++
	h := w.homes[w.n%len(w.homes)]
	id := fmt.Sprintf("fault-%s-%d", phase, w.n)
	an := call("GET", w.base+"/v1/citizens/"+h.head, adminToken, id, "", nil)
	if an.err == nil && an.status == http.StatusOK {
		w.reads[id] = h.head
	}
	return an
}

// upload sends n dataset lines as the agency's client, about the seeded
// people, under keys that repeat across calls so that uploads overwrite as
// well as insert.
func (w *faultWorld) upload(n int) answer {
	var b bytes.Buffer
	lines := map[string]string{}
	for i := range n {
		w.n++
		h := w.homes[(w.n+i)%len(w.homes)]
		key := fmt.Sprintf("si-%04d", w.n%500)
		lines[key] = h.head
		fmt.Fprintf(&b, `{"key":%q,"pin":%q,"attributes":{"insurance_code":"%010d","status":"active"}}`+"\n", key, h.head, w.n)
	}
	an := call("POST", w.base+"/v1/datasets/"+w.dataset+"/records", w.agency.Token, "", "application/x-ndjson", b.Bytes())
	if an.err == nil && an.status == http.StatusOK {
		var sum struct{ Rejected int }
		if json.Unmarshal(an.body, &sum) != nil || sum.Rejected != 0 {
			w.t.Fatalf("upload: %v", an)
		}
		for k, pin := range lines {
			w.records[k] = pin
		}
	}
	return an
}

// checkAfter checks, on a server restarted after the fault, that every read
// answered 200 is in the access log under its request id, that no read
// refused during the fault is, and that the dataset holds every
// acknowledged record.
func (w *faultWorld) checkAfter(base string, refusedReads []string) {
	t := w.t
	t.Helper()
	logged := map[string]bool{}
	pins := map[string]bool{}
	for _, pin := range w.reads {
		pins[pin] = true
	}
	for pin := range pins {
		for before := int64(0); ; {
			u := base + "/v1/citizens/" + pin + "/accesses?limit=100"
			if before > 0 {
				u += fmt.Sprintf("&before=%d", before)
			}
			var page struct {
				Items []struct {
					Index     int64  `json:"index"`
					RequestID string `json:"request_id"`
				} `json:"items"`
				NextBefore int64 `json:"next_before"`
			}
			getJSON(t, u, &page)
			for _, it := range page.Items {
				logged[it.RequestID] = true
			}
			if page.NextBefore == 0 {
				break
			}
			before = page.NextBefore
		}
	}
	for id := range w.reads {
		if !logged[id] {
			t.Errorf("read %s was answered 200 but is not in the access log", id)
		}
	}
	for _, id := range refusedReads {
		if logged[id] {
			t.Errorf("read %s was refused but is in the access log", id)
		}
	}
	held := map[string]bool{}
	for _, h := range w.homes {
		var got struct {
			Records []struct {
				Key string `json:"key"`
			} `json:"records"`
		}
		getJSON(t, base+"/v1/citizens/"+h.head+"/datasets/"+w.dataset+"?purpose=fault.test", &got)
		for _, r := range got.Records {
			held[r.Key] = true
		}
	}
	for k := range w.records {
		if !held[k] {
			t.Errorf("dataset record %s was acknowledged but is not held", k)
		}
	}
	for _, b := range w.unrecorded {
		if an := call("POST", base+"/v1/events", adminToken, "", "application/json", b); an.status != http.StatusOK {
			t.Errorf("an event applied with its result withheld, submitted again: %v; want 200 with its first result", an)
		}
	}
	t.Logf("after the fault: %d reads in the access log, %d refused reads absent, %d acknowledged dataset records held, %d applied events with their result withheld answered again",
		len(w.reads), len(refusedReads), len(w.records), len(w.unrecorded))
}

// auditVerify runs `dancu audit verify` on the data folder; it must pass.
func auditVerify(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command(dancuBin, "audit", "verify", "--data", dir)
	cmd.Env = environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dancu audit verify: %v\n%s", err, out)
	}
	t.Logf("dancu audit verify: %s", bytes.ReplaceAll(bytes.TrimSpace(out), []byte("\n"), []byte("; ")))
}

// TestDisk_ReadOnly runs dancu serve on a file system that turns read-only
// under it, as ext4 does when its disk fails. While it is read-only, every
// write (a life event, a dataset upload) and every read that needs an
// access-log entry is refused with 503, Retry-After and a problem, /readyz
// answers 503 so that a load balancer stops sending requests, the process
// stays up, and it stops when asked; a new process on the read-only folder
// refuses to start with an error that says why. Once the file system is repaired, a
// restarted server has every acknowledged write and every access-log entry
// of an answered read, nothing of the refused ones, and the access log
// verifies.
func TestDisk_ReadOnly(t *testing.T) {
	t.Parallel()
	fs := newFaultFS(t, 64<<20)
	dir := filepath.Join(fs.dir, "data")
	// The analytics file lives on a healthy disk here: DuckDB aborts the
	// process when the file system turns read-only in the middle of one of
	// its commits (docs/operations.md), which this test would otherwise hit
	// about one run in six; what it checks is the registry and the log.
	statsEnv := []string{"DANCU_STATS_PATH=" + filepath.Join(t.TempDir(), "stats.duckdb")}
	srv, base := startServeEnv(t, statsEnv, "--data", dir)
	w := setUp(t, base)

	fs.failReadOnly()
	var refusedReads []string
	for i := range 3 {
		if an := w.event(); !an.isRefusal() {
			t.Errorf("event on a read-only file system: %v; want 503 with Retry-After", an)
		}
		an := w.read("readonly")
		if !an.isRefusal() {
			t.Errorf("read on a read-only file system: %v; want 503 with Retry-After (the access cannot be logged)", an)
		}
		refusedReads = append(refusedReads, fmt.Sprintf("fault-readonly-%d", w.n))
		if an := w.upload(10); !an.isRefusal() {
			t.Errorf("upload %d on a read-only file system: %v; want 503 with Retry-After", i, an)
		}
	}
	if an := call("GET", base+"/healthz", adminToken, "", "", nil); an.status != http.StatusOK {
		t.Errorf("GET /healthz on a read-only file system: %v; the process should stay up", an)
	}
	if an := call("GET", base+"/readyz", adminToken, "", "", nil); !an.isRefusal() {
		t.Errorf("GET /readyz on a read-only file system: %v; want 503 with Retry-After", an)
	}
	t.Logf("the server's log during the fault:\n%s", tail(srv.stderr.String(), 8))
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st := srv.wait(30 * time.Second)
	t.Logf("dancu serve stopped on a read-only file system: %v", st)

	// A new process on the read-only folder must say what is wrong.
	p := startDancu(t, environ("DANCU_ADMIN_TOKEN="+adminToken), "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if st := p.wait(60 * time.Second); st.Success() {
		t.Errorf("dancu serve on a read-only file system exited 0")
	}
	if msg := p.stderr.String(); !strings.Contains(msg, "readonly") && !strings.Contains(msg, "read-only") {
		t.Errorf("dancu serve on a read-only file system does not say it is read-only:\n%s", tail(msg, 10))
	}

	fs.repair()
	srv, base = startServeEnv(t, statsEnv, "--data", dir)
	t.Cleanup(func() { t.Logf("restarted server:\n%s", tail(srv.stderr.String(), 10)) })
	w.checkAfter(base, refusedReads)
	checkEvents(t, base, dir, w.sent, srv) // stops the server
	auditVerify(t, dir)
}

// TestDisk_Full runs dancu serve on a file system that fills up. Writes
// are either acknowledged (and then kept) or refused with 503 and
// Retry-After (and then absent), never 500; a read is answered only if its
// access was logged; /readyz answers 503. When space is freed, the same
// process turns ready and serves writes again, without a restart; after a
// restart everything acknowledged is there and the access log verifies.
func TestDisk_Full(t *testing.T) {
	t.Parallel()
	fs := newFaultFS(t, 64<<20)
	dir := filepath.Join(fs.dir, "data")
	srv, base := startServe(t, dir)
	w := setUp(t, base)

	refusedReads := fillAndRecover(t, fs, w, base, true)
	srv.stop()

	srv, base = startServe(t, dir)
	w.checkAfter(base, refusedReads)
	checkEvents(t, base, dir, w.sent, srv) // stops the server
	auditVerify(t, dir)
}

// fillAndRecover fills fs under the server at base, and checks that every
// kind of write (a life event, a read's access-log entry, a dataset upload)
// is soon refused with 503 and Retry-After, never 500; that /readyz
// answers 503 if readyRefused (a PostgreSQL heartbeat may still fit in a
// page with room); and that once space is freed the same process writes
// again. It returns the request ids of the refused reads.
func fillAndRecover(t *testing.T, fs *faultFS, w *faultWorld, base string, readyRefused bool) []string {
	t.Helper()
	release := fs.fill()
	// The writes that still fit in pages SQLite has already allocated go
	// through; once the write-ahead log must grow, every write fails.
	var refusedReads []string
	failed := map[string]int{}
	first := map[string]answer{}
	for i := 0; i < 3000 && (failed["event"] == 0 || failed["read"] == 0 || failed["upload"] == 0); i++ {
		check := func(what string, an answer) {
			switch {
			case an.isRefusal():
				if failed[what] == 0 {
					first[what] = an
				}
				failed[what]++
			case an.err == nil && an.status < 500:
			default:
				t.Fatalf("%s on a full file system: %v; want an answer or 503 with Retry-After", what, an)
			}
		}
		check("event", w.event())
		an := w.read("full")
		check("read", an)
		if an.status != http.StatusOK {
			refusedReads = append(refusedReads, fmt.Sprintf("fault-full-%d", w.n))
		}
		if i%10 == 0 {
			check("upload", w.upload(50))
		}
	}
	t.Logf("on the full file system: %d events, %d reads and %d uploads refused; %d events acknowledged in all",
		failed["event"], failed["read"], failed["upload"], w.sent.acks.Load())
	for what, an := range first {
		t.Logf("first refused %s: %v", what, an)
	}
	if failed["event"] == 0 || failed["read"] == 0 || failed["upload"] == 0 {
		t.Fatal("the file system is full, but some kind of write never failed")
	}
	if an := call("GET", base+"/healthz", adminToken, "", "", nil); an.status != http.StatusOK {
		t.Errorf("GET /healthz on a full file system: %v", an)
	}
	if an := call("GET", base+"/readyz", adminToken, "", "", nil); !an.isRefusal() && (readyRefused || an.err != nil || an.status != http.StatusOK) {
		t.Errorf("GET /readyz on a full file system: %v; want 503 with Retry-After", an)
	} else {
		t.Logf("GET /readyz on a full file system: %d", an.status)
	}

	// Space comes back: the same process turns ready and writes again.
	release()
	t.Logf("ready again %v after space was freed", waitReady(t, base, 30*time.Second).Round(time.Millisecond))
	if an := w.event(); an.status != http.StatusCreated && an.status != http.StatusNotFound {
		t.Errorf("event after space was freed: %v; want it applied", an)
	}
	if an := w.read("freed"); an.status != http.StatusOK {
		t.Errorf("read after space was freed: %v", an)
	}
	if an := w.upload(20); an.status != http.StatusOK {
		t.Errorf("upload after space was freed: %v", an)
	}
	return refusedReads
}
