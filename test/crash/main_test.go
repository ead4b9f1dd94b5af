//go:build unix

package crash_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// seedFlag replays the kill points of an earlier run.
var seedFlag = flag.Uint64("crash.seed", 0, "seed of the random kill points (0: pick one and log it)")

// dancuBin is the dancu binary TestMain builds.
var dancuBin string

// adminToken is the bearer token every server in these tests accepts. It
// goes through DANCU_ADMIN_TOKEN, so no token is generated or printed.
const adminToken = "crash-test-admin-token-0123456789"

// TestMain builds dancu once. The tests must kill a real, separate process:
// killing a goroutine-run serve would also kill the test, and would not
// show what the file looks like when the OS tears a process down mid-write.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "dancu-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash tests:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin, err := buildDancu(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash tests: build dancu:", err)
			return 1
		}
		dancuBin = bin
		return m.Run()
	}()
	os.Exit(code)
}

// buildDancu builds ./cmd/dancu from the module root into dir.
func buildDancu(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	bin := filepath.Join(dir, "dancu")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/dancu")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	return bin, nil
}

// newRand returns the random source of the kill points, logging its seed.
// Each test derives its own stream from it and its name, so a replay does
// not depend on which other tests run.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill points from seed %d (replay with -crash.seed=%d)", seed, seed)
	h := fnv.New64a()
	io.WriteString(h, t.Name())
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// proc is a dancu process the test started.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{} // closed once the process has been waited for
	state  *os.ProcessState
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// environ is the test's environment without any DANCU_ variable, so that
// the developer's own settings cannot change what the tests run, plus extra.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DANCU_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startDancu starts dancu with args. The process is killed at the end of
// the test if it is still running.
func startDancu(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: "dancu " + args[0], stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(dancuBin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to end and returns its state.
func (p *proc) wait(d time.Duration) *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.done:
		return p.state
	case <-time.After(d):
		p.t.Fatalf("%s did not end within %v", p.name, d)
		return nil
	}
}

// kill sends SIGKILL and checks that the signal is what ended the process,
// not an exit of its own just before.
func (p *proc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("kill %s: %v", p.name, err)
	}
	st := p.wait(10 * time.Second)
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s ended with %v before the kill; stderr:\n%s", p.name, st, tail(p.stderr.String(), 20))
	}
}

// stop asks the process to shut down (SIGTERM) and checks that it exits 0.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("stop %s: %v", p.name, err)
	}
	if st := p.wait(30 * time.Second); !st.Success() {
		p.t.Fatalf("%s ended with %v after SIGTERM; stderr:\n%s", p.name, st, tail(p.stderr.String(), 20))
	}
}

// listeningLine is how serve reports its address on stdout; with
// --addr 127.0.0.1:0 it is the only way to learn the port.
var listeningLine = regexp.MustCompile(`(?m)^dancu \S+ listening on (http://\S+)$`)

// startServe starts `dancu serve` on dir, waits for its listening line and
// for /readyz, and returns the process and its base URL.
func startServe(t *testing.T, dir string) (*proc, string) {
	t.Helper()
	return startServeWith(t, "--data", dir)
}

// startServeWith is startServe with the store given by args (--data DIR or
// --db DSN).
func startServeWith(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServeWith with extra environment variables, such
// as DANCU_RATE_LIMIT_PER_ADDRESS=40.
func startServeEnv(t *testing.T, env []string, args ...string) (*proc, string) {
	t.Helper()
	began := time.Now()
	p := startDancu(t, environ(append([]string{"DANCU_ADMIN_TOKEN=" + adminToken, "DANCU_LOG_FORMAT=json"}, env...)...),
		append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.Now().Add(60 * time.Second)
	var base string
	for base == "" {
		if m := listeningLine.FindStringSubmatch(p.stdout.String()); m != nil {
			base = m[1]
			break
		}
		if p.exited() {
			t.Fatalf("dancu serve exited with %v before listening; stderr:\n%s", p.state, tail(p.stderr.String(), 20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("dancu serve did not report a listening address within 60s; stderr:\n%s", tail(p.stderr.String(), 20))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status := getStatus(t, base+"/readyz"); status != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", status)
	}
	t.Logf("dancu serve ready in %v", time.Since(began).Round(time.Millisecond))
	return p, base
}

// httpClient is shared by all requests; its pool is large enough for the
// burst's concurrent clients to keep their connections.
var httpClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 32, MaxConnsPerHost: 32},
}

// request sends a request with the admin token and returns the status and
// body. A transport error is returned, not fatal: during a burst it is how
// the kill shows.
func request(ctx context.Context, method, url string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, b, nil
}

// getStatus GETs url and returns the status, failing the test on a
// transport error.
func getStatus(t *testing.T, url string) int {
	t.Helper()
	status, _, err := request(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return status
}

// tail returns the last n lines of s, for failure messages. Only dancu's
// own logs and progress lines pass through it, which by design carry no
// personal data.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
