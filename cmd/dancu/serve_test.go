package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// running is a serve started by startServe.
type running struct {
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() error // cancels the context and returns what serve returned
}

// startServe runs serve in the background with the given arguments and
// environment, and waits until it listens.
func startServe(t *testing.T, args []string, environ map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := serveEnv{
		lookupEnv: func(k string) (string, bool) { v, ok := environ[k]; return v, ok },
		ready:     func(base string) { ready <- base },
	}
	go func() { done <- serve(ctx, args, r.stdout, r.stderr, env) }()
	select {
	case r.base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve returned before listening: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start within 60s")
	}
	stopped := false
	var result error
	r.stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s of cancellation")
		}
		return result
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// client does not follow redirects, so that tests see them.
var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func get(t *testing.T, url, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

var tokenLine = regexp.MustCompile(`(?m)^\s+(dancu_\S+)$`)

func TestServe_StartServeStop(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}
	s := startServe(t, args, nil)

	m := tokenLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no generated admin token in stdout:\n%s", s.stdout)
	}
	token := m[1]
	if !strings.Contains(s.stdout.String(), s.base+"/console/") {
		t.Errorf("stdout does not give the console URL:\n%s", s.stdout)
	}

	tests := []struct {
		path, token string
		status      int
	}{
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
		{"/openapi.json", "", http.StatusOK},
		{"/metrics", "", http.StatusOK},
		{"/v1/citizens?province=79", token, http.StatusOK},
		{"/v1/events", token, http.StatusOK},
		{"/v1/citizens?province=79", "", http.StatusUnauthorized},
		{"/v1/citizens/001190000001", token, http.StatusNotFound},
		{"/", "", http.StatusFound},
		{"/console/login", "", http.StatusOK},
	}
	for _, tc := range tests {
		status, h, body := get(t, s.base+tc.path, tc.token)
		if status != tc.status {
			t.Errorf("GET %s = %d, want %d: %s", tc.path, status, tc.status, body)
		}
		if tc.path == "/" && h.Get("Location") != "/console/" {
			t.Errorf("GET / redirects to %q, want /console/", h.Get("Location"))
		}
	}

	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v after cancellation, want nil", err)
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, s.stderr)
		}
	}
	if strings.Contains(s.stderr.String(), token) {
		t.Error("the admin token reached the log")
	}
	if _, err := get2(s.base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}

	// The store was closed cleanly: it opens again, and a second start
	// keeps the first token (only its hash is stored) without printing it.
	st, err := openData(context.Background(), filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	st.Close()
	s2 := startServe(t, append(args, "--demo", "--demo-citizens", "1"), nil)
	defer s2.stop()
	if tokenLine.MatchString(s2.stdout.String()) || !strings.Contains(s2.stdout.String(), "printed when this data folder was first used") {
		t.Errorf("second start stdout:\n%s", s2.stdout)
	}
	if status, _, _ := get(t, s2.base+"/v1/events", token); status != http.StatusOK {
		t.Errorf("the first token does not work after a restart: %d", status)
	}
}

func get2(url string) (int, error) {
	res, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func TestServe_Demo(t *testing.T) {
	dir := t.TempDir()
	const token = "demo-admin-token-0123456789"
	env := map[string]string{"DANCU_ADMIN_TOKEN": token, "DANCU_DEMO_CITIZENS": "300"}
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", dir, "--demo"}, env)
	out := s.stdout.String()
	for _, want := range []string{"Demo: generating 300 synthetic people", "Generated 300 people", "/console/", "DANCU_ADMIN_TOKEN"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) {
		t.Error("stdout shows the token from the environment")
	}
	status, _, body := get(t, s.base+"/v1/events?limit=1", token)
	if status != http.StatusOK || !strings.Contains(body, `"seq"`) {
		t.Errorf("GET /v1/events = %d %s, want the demo population's events", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s = startServe(t, []string{"--addr", "127.0.0.1:0", "--data", dir, "--demo"}, env)
	if !strings.Contains(s.stdout.String(), "already holds 300 people") {
		t.Errorf("second demo start:\n%s", s.stdout)
	}
}

func TestServe_Configuration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"every problem at once", []string{"--addr", "nowhere", "--log-format", "xml"}, map[string]string{"DANCU_LOG_LEVEL": "loud"},
			[]string{"addr: ", "log.format", "log.level"}},
		{"short admin token", []string{"--addr", "127.0.0.1:0", "--data", "x"}, map[string]string{"DANCU_ADMIN_TOKEN": "short-secret"},
			[]string{"admin_token: must be at least 16"}},
		{"empty data folder", []string{"--addr", "127.0.0.1:0", "--data", ""}, nil, []string{"data: must not be empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := serve(context.Background(), tc.args, &stdout, &stderr, serveEnv{
				lookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok },
			})
			if err == nil {
				t.Fatal("serve started with a bad configuration")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "short-secret") {
				t.Error("the error quotes the token")
			}
		})
	}
}

func TestServe_ListenError(t *testing.T) {
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, nil)
	addr := strings.TrimPrefix(s.base, "http://")
	err := serve(context.Background(), []string{"--addr", addr, "--data", t.TempDir()}, io.Discard, io.Discard,
		serveEnv{lookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("serve on a taken address = %v", err)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"0.0.0.0:8080", "http://localhost:8080"},
		{"[::]:9000", "http://localhost:9000"},
		{"[::1]:9000", "http://[::1]:9000"},
	}
	for _, tc := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(addr); got != tc.want {
			t.Errorf("baseURL(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestPostgres generates into and serves from PostgreSQL when
// DANCU_TEST_POSTGRES names a server (CI always does).
func TestPostgres(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		t.Skip("DANCU_TEST_POSTGRES is not a postgres:// URL, the only form --db takes")
	}
	var stdout bytes.Buffer
	keys := filepath.Join(t.TempDir(), "dancu.keys")
	if err := generate(context.Background(), []string{"--citizens", "60", "--db", dsn, "--key-file", keys}, &stdout, &stdout, noEnv); err != nil {
		t.Fatalf("generate: %v\n%s", err, &stdout)
	}
	if !strings.Contains(stdout.String(), "into PostgreSQL") || !strings.Contains(stdout.String(), "Generated 60 people") {
		t.Errorf("generate stdout:\n%s", &stdout)
	}
	const token = "pg-admin-token-0123456789"
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--db", dsn, "--data", t.TempDir(), "--key-file", keys}, map[string]string{"DANCU_ADMIN_TOKEN": token})
	for path, want := range map[string]int{"/readyz": http.StatusOK, "/v1/events?limit=5": http.StatusOK} {
		if status, _, body := get(t, s.base+path, token); status != want {
			t.Errorf("GET %s = %d, want %d: %s", path, status, want, body)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// On a read-only database (a hot standby) serve refuses to start, and
	// says why; a command that only reads still works.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = serve(context.Background(), []string{"--addr", "127.0.0.1:0", "--db", dsn, "--data", t.TempDir(), "--key-file", keys}, &out, &out,
		serveEnv{lookupEnv: func(k string) (string, bool) {
			return map[string]string{"DANCU_ADMIN_TOKEN": token}[k], k == "DANCU_ADMIN_TOKEN"
		}})
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "primary") {
		t.Errorf("serve on a read-only database = %v, want a refusal naming the cause", err)
	}
	out.Reset()
	if code := Main(context.Background(), []string{"audit", "verify", "--db", dsn, "--key-file", keys}, &out, &out); code != 0 {
		t.Errorf("audit verify on a read-only database exited %d:\n%s", code, &out)
	}
}
