package eid

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// cheap are argon2id parameters that keep tests fast; the code paths are
// those of the configured ones.
var cheap = credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakePeople is a hand-written registry of a few people.
type fakePeople map[string]*registry.Person

func (f fakePeople) Person(_ context.Context, pin string, _ registry.Date) (*registry.Record, error) {
	if err := registry.CheckPIN("pin", pin); err != nil {
		return nil, err
	}
	p, ok := f[pin]
	if !ok {
		return nil, &registry.Error{Kind: registry.NotFound, Field: "pin", Reason: "person not found"}
	}
	return &registry.Record{Person: p, Version: 1}, nil
}

// fakeSMS records what was sent.
type fakeSMS struct {
	mu   sync.Mutex
	sent []sentSMS
}

type sentSMS struct{ to, text string }

func (f *fakeSMS) Send(_ context.Context, to, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentSMS{to, text})
	return nil
}

func (f *fakeSMS) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// lastCode is the code of the last message sent.
func (f *fakeSMS) lastCode(t testing.TB) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		t.Fatal("no SMS sent")
	}
	return codeRE.FindString(f.sent[len(f.sent)-1].text)
}

// fakeRecorder keeps the accesses recorded.
type fakeRecorder struct {
	mu sync.Mutex
	as []audit.Access
}

func (f *fakeRecorder) Record(_ context.Context, as ...audit.Access) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.as = append(f.as, as...)
	return nil
}

// Test people. The adult has a valid chip card; the child is 10.
const (
	pinAdult  = "079190000001"
	pinChild  = "079216000002"
	pinYoung  = "079212000003" // 13
	pinDead   = "079150000004"
	pinOther  = "001185000005"
	phone     = "0912345678"
	phoneE164 = "+84912345678"
	card      = "079190000001"
	cardOther = "001185000005"
)

// t0 is the test clock's start: now, since the store judges the expiry of
// short-lived records by its own clock.
var t0 = time.Now().UTC().Truncate(time.Second)

// youngBirth makes pinYoung 13 today (14 on the last day of the year).
var youngBirth = fmt.Sprintf("%d-12-31", t0.Year()-13)

func people() fakePeople {
	adult := &registry.Person{
		PIN: pinAdult, FullName: "Nguyễn Văn Hoà", BirthDate: registry.MustParseDate("1990-05-17"), Sex: registry.Male,
		Status: registry.Status{State: registry.Alive}, Phone: phone,
		Children: []registry.Relative{{PIN: pinChild, FullName: "Nguyễn Thị Mai"}, {PIN: pinOther, FullName: "Nguyễn Văn Cả"}},
		Documents: []registry.Document{
			{Kind: registry.CMND, Number: "123456789", Status: "replaced"},
			{Kind: registry.CanCuoc, Number: card, Chip: true, Status: "valid", IssueDate: registry.MustParseDate("2024-07-01"), Expiry: registry.MustParseDate("2030-05-17")},
		},
	}
	child := &registry.Person{
		PIN: pinChild, FullName: "Nguyễn Thị Mai", BirthDate: registry.MustParseDate("2016-01-10"), Sex: registry.Female,
		Status: registry.Status{State: registry.Alive}, Father: &registry.Relative{PIN: pinAdult, FullName: "Nguyễn Văn Hoà"},
	}
	young := &registry.Person{
		PIN: pinYoung, FullName: "Trần Văn Bé", BirthDate: registry.MustParseDate(youngBirth), Sex: registry.Male,
		Status: registry.Status{State: registry.Alive}, Phone: "0987654321",
	}
	dead := &registry.Person{
		PIN: pinDead, FullName: "Lê Văn Cụ", BirthDate: registry.MustParseDate("1950-01-01"), Sex: registry.Male,
		Status: registry.Status{State: registry.Dead}, Phone: "0911111111",
	}
	// An adult named as a child of pinAdult, but not theirs and not under 14.
	other := &registry.Person{
		PIN: pinOther, FullName: "Nguyễn Văn Cả", BirthDate: registry.MustParseDate("1985-01-01"), Sex: registry.Male,
		Status: registry.Status{State: registry.Alive}, Phone: "0922222222",
		Documents: []registry.Document{{Kind: registry.CanCuoc, Number: cardOther, Chip: true, Status: "valid", IssueDate: registry.MustParseDate("2024-07-01")}},
	}
	return fakePeople{pinAdult: adult, pinChild: child, pinYoung: young, pinDead: dead, pinOther: other}
}

// env is a service over a real store with fakes at the boundaries.
type env struct {
	s    *Service
	st   store.Store
	c    *clock
	sms  *fakeSMS
	rec  *fakeRecorder
	logs *bytes.Buffer
}

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

func openSQLiteT(t *testing.T) store.Store { return openSQLite(t) }

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// backends are the stores the service tests run on: SQLite always,
// PostgreSQL where DANCU_TEST_POSTGRES is set.
func backends() []backend {
	bs := []backend{{"sqlite", openSQLiteT}}
	if os.Getenv("DANCU_TEST_POSTGRES") != "" {
		bs = append(bs, backend{"postgres", openPostgres})
	}
	return bs
}

func newEnvOn(t *testing.T, st store.Store) *env {
	t.Helper()
	e := &env{st: st, c: &clock{t: t0}, sms: &fakeSMS{}, rec: &fakeRecorder{}, logs: &bytes.Buffer{}}
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := DefaultConfig()
	cfg.Params = cheap
	e.s = New(Deps{Store: st, Nonces: st, People: people(), SMS: e.sms, Recorder: e.rec, Logger: logger, Now: e.c.now}, cfg)
	t.Cleanup(func() {
		e.s.Flush()
		mu.Lock()
		defer mu.Unlock()
		for _, secret := range []string{pinAdult, pinChild, "912345678", "Hoà", "Nguyễn", testPassword} {
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("the log holds personal data or a secret (%q)", secret)
			}
		}
	})
	return e
}

func newEnv(t *testing.T) *env { return newEnvOn(t, openSQLite(t)) }

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

const testPassword = "correct horse battery"

var browser = Client{Address: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}

// register registers the adult and returns the account.
func (e *env) register(t *testing.T) *Account {
	t.Helper()
	ctx := context.Background()
	step, err := e.s.StartRegistration(ctx, Registration{PIN: pinAdult, FullName: "Nguyễn Văn Hoà", BirthDate: "1990-05-17", Phone: phone}, browser)
	if err != nil {
		t.Fatalf("StartRegistration: %v", err)
	}
	e.s.Flush()
	a, _, err := e.s.CompleteRegistration(ctx, step, e.sms.lastCode(t), testPassword, browser)
	if err != nil {
		t.Fatalf("CompleteRegistration: %v", err)
	}
	return a
}

// signIn signs the adult in with an SMS code.
func (e *env) signIn(t *testing.T, c Client) Session {
	t.Helper()
	ctx := context.Background()
	p, err := e.s.SignIn(ctx, pinAdult, testPassword, c)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if err := e.s.SendSignInCode(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	e.s.Flush()
	sess, err := e.s.FinishSignIn(ctx, p.ID, MethodSMS, e.sms.lastCode(t), c)
	if err != nil {
		t.Fatalf("FinishSignIn: %v", err)
	}
	return sess
}
