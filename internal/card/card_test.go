package card

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/card/lds"
	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

// backends opens an empty store of each available kind.
func backends(t testing.TB) map[string]store.Store {
	out := map[string]store.Store{}
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/d.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out["sqlite"] = s
	if os.Getenv(pgtest.EnvVar) != "" {
		p, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		out["postgres"] = p
	}
	return out
}

// fixture is a card service over a store holding a small synthetic
// population, with its PKI set up.
type fixture struct {
	st  store.Store
	reg *registry.Registry
	svc *Service
	now time.Time
}

func newFixture(t testing.TB, st store.Store, people int) *fixture {
	t.Helper()
	ctx := context.Background()
	if people > 0 {
		if _, err := synth.Generate(ctx, st, synth.Options{Citizens: people, Seed: 7}); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := NewFileKeyStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, reg: registry.New(st), now: time.Now()}
	clock := func() time.Time { return f.now }
	pki := NewPKI(st, ks, PKIConfig{}, clock)
	if err := pki.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = New(Deps{Store: st, Registry: f.reg, PKI: pki, Now: clock})
	return f
}

// chipHolder returns the PIN of a person whose latest card has a chip.
func (f *fixture) chipHolder(t testing.TB) string {
	t.Helper()
	evs, err := f.reg.Events(context.Background(), store.EventQuery{Type: EventType, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if fs, err := f.svc.ChipFiles(context.Background(), evs[i].Subjects[0]); err == nil && fs.Card.Status == StatusValid {
			return evs[i].Subjects[0]
		}
	}
	t.Fatal("no chip card holder")
	return ""
}

func TestService_IssuePending(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, st, 300)
			n, err := f.svc.IssuePending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			evs, _ := f.reg.Events(ctx, store.EventQuery{Type: EventType, Limit: 1000})
			if n == 0 || n != len(evs) {
				t.Fatalf("IssuePending wrote %d cards for %d events", n, len(evs))
			}
			if again, err := f.svc.IssuePending(ctx); err != nil || again != 0 {
				t.Errorf("IssuePending again = %d, %v; want 0", again, err)
			}
			pin := f.chipHolder(t)
			rec, _ := f.reg.Person(ctx, pin, registry.Date{})
			doc := rec.Person.Documents[len(rec.Person.Documents)-1]
			c, err := f.svc.Current(ctx, pin)
			if err != nil {
				t.Fatal(err)
			}
			if c.Number != pin || c.IssueDate != doc.IssueDate.String() || c.Authority != doc.Place || c.Kind != string(doc.Kind) {
				t.Errorf("card %+v does not match the registry's document %+v", c, doc)
			}
			if want := registry.CardExpiry(rec.Person.BirthDate, doc.IssueDate); c.Expiry != want.String() && !(want.IsZero() && c.Expiry == "") {
				t.Errorf("expiry %s, want %s", c.Expiry, want)
			}

			// A new card replaces the old one.
			_, err = f.reg.Submit(ctx, registry.Submission{Actor: "test", Event: registry.Event{
				ID: "reissue-" + pin, Type: EventType, Subject: pin, EffectiveDate: registry.DateOf(time.Now().In(registry.Vietnam)),
				Reason: "cấp lại", Data: json.RawMessage(`{"kind":"can_cuoc","issue_place":"Công an tỉnh"}`)}})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := f.svc.IssuePending(ctx); err != nil || n != 1 {
				t.Fatalf("IssuePending after a reissue = %d, %v", n, err)
			}
			cs, _ := f.svc.Cards(ctx, pin)
			if len(cs) < 2 || cs[len(cs)-2].Status != StatusReplaced || cs[len(cs)-1].Status != StatusValid || cs[len(cs)-1].Authority != "Công an tỉnh" {
				t.Errorf("after reissue: %+v", cs)
			}
		})
	}
}

func TestService_SetStatus(t *testing.T) {
	ctx := context.Background()
	st := backends(t)["sqlite"]
	f := newFixture(t, st, 100)
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	pin := f.chipHolder(t)
	tests := []struct {
		status, reason string
		ok             bool
	}{
		{"lost", "", false},
		{"valid", "found", false},
		{"expired", "x", false},
		{"lost", "báo mất", true},
		{"replaced", "x", false},
		{"revoked", "thu hồi", true},
		{"lost", "again", false},
	}
	for _, tt := range tests {
		c, err := f.svc.SetStatus(ctx, pin, 0, tt.status, tt.reason, "admin")
		if (err == nil) != tt.ok {
			t.Fatalf("SetStatus(%s) = %v, want ok %v", tt.status, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("SetStatus(%s) error %v is not ErrInvalid", tt.status, err)
		}
		if err == nil && c.Status != tt.status {
			t.Errorf("status %s, want %s", c.Status, tt.status)
		}
	}
	if _, err := f.svc.SetStatus(ctx, "001090999999", 0, "lost", "x", "admin"); !errors.Is(err, ErrNoCard) {
		t.Errorf("no card: %v", err)
	}
}

func TestCard_expiredIsComputed(t *testing.T) {
	f := &fixture{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := New(Deps{Now: func() time.Time { return f.now }})
	if got := s.view(store.CardRow{Status: "valid", Expiry: "2029-12-31"}).Status; got != StatusExpired {
		t.Errorf("past expiry: %s", got)
	}
	if got := s.view(store.CardRow{Status: "valid", Expiry: ""}).Status; got != StatusValid {
		t.Errorf("no expiry: %s", got)
	}
	if got := s.view(store.CardRow{Status: "lost", Expiry: "2029-12-31"}).Status; got != StatusLost {
		t.Errorf("lost and past expiry: %s", got)
	}
}

func TestMRZName(t *testing.T) {
	tests := []struct{ in, primary, secondary string }{
		{"Nguyễn Văn An", "NGUYEN", "VAN<AN"},
		{"Đặng Thị Thuỷ", "DANG", "THI<THUY"},
		{"Tôn Nữ Thị Ninh", "TON<NU", "THI<NINH"},
		{"H'Hen Niê", "NIE", "HHEN"},
		{"Lò Văn Páo", "LO", "VAN<PAO"},
	}
	for _, tt := range tests {
		p, s := MRZName(tt.in)
		if p != tt.primary || s != tt.secondary {
			t.Errorf("MRZName(%q) = %q, %q; want %q, %q", tt.in, p, s, tt.primary, tt.secondary)
		}
	}
}

// verifier builds a verifier from the fixture's published CSCAs.
func (f *fixture) verifier(t testing.TB) *verify.Verifier {
	t.Helper()
	v, err := f.svc.Verifier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestChip_verifies(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"], 100)
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	pin := f.chipHolder(t)
	fs, err := f.svc.ChipFiles(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.verifier(t).Verify(verify.Card{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := f.reg.Person(ctx, pin, registry.Date{})
	if res.DG13.PIN != pin || res.DG13.FullName != rec.Person.FullName || res.MRZ.Optional1 != pin || res.MRZ.DocumentCode != "ID" || res.MRZ.IssuingState != "VNM" {
		t.Errorf("verified attributes differ from the registry: %+v %+v", res.MRZ, res.DG13)
	}
	if ISODate(res.DG13.BirthDate) != rec.Person.BirthDate.String() {
		t.Errorf("birth date %s, want %s", res.DG13.BirthDate, rec.Person.BirthDate)
	}
}

// TestSOD_opensslVerifies checks an EF.SOD dancu produced with openssl cms
// against the CSCA certificate alone: an independent CMS implementation.
func TestSOD_opensslVerifies(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required in CI")
		}
		t.Skip("no openssl")
	}
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"], 100)
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := f.svc.ChipFiles(ctx, f.chipHolder(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ci, err := lds.ContentInfo(fs.SOD)
	if err != nil {
		t.Fatal(err)
	}
	cscas, _ := f.svc.PKI().CSCACertificates(ctx)
	var pemCA bytes.Buffer
	for _, c := range cscas {
		pem.Encode(&pemCA, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	os.WriteFile(filepath.Join(dir, "sod.der"), ci, 0o600)
	os.WriteFile(filepath.Join(dir, "csca.pem"), pemCA.Bytes(), 0o600)
	out, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", filepath.Join(dir, "sod.der"),
		"-CAfile", filepath.Join(dir, "csca.pem"), "-out", filepath.Join(dir, "content.der")).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Verification successful") {
		t.Errorf("openssl said: %s", out)
	}
	content, _ := os.ReadFile(filepath.Join(dir, "content.der"))
	sod, _ := lds.ParseSOD(fs.SOD)
	if !bytes.Equal(content, sod.Content) {
		t.Error("openssl's content is not the LDSSecurityObject")
	}
	// A tampered SOD fails with openssl too.
	bad := bytes.Clone(ci)
	bad[len(bad)-10] ^= 1
	os.WriteFile(filepath.Join(dir, "bad.der"), bad, 0o600)
	if out, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", filepath.Join(dir, "bad.der"),
		"-CAfile", filepath.Join(dir, "csca.pem"), "-out", os.DevNull).CombinedOutput(); err == nil {
		t.Errorf("openssl accepted a tampered SOD: %s", out)
	}
}

// TestVerify_rejectsEverySingleByteChange changes each byte of EF.SOD and
// of each data group, one at a time, and checks that verification fails
// each time with a reason, never a panic. Each byte takes every value that
// differs from it in one bit, and 0x00 and 0xFF; with
// DANCU_CARD_EXHAUSTIVE=1 it takes all 255 other values (about 380,000
// verifications, minutes on a busy machine).
func TestVerify_rejectsEverySingleByteChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"], 60)
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := f.svc.ChipFiles(ctx, f.chipHolder(t))
	if err != nil {
		t.Fatal(err)
	}
	v := f.verifier(t)
	good := verify.Card{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD}
	if _, err := v.Verify(good); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		b    *[]byte
	}{{"DG1", &good.DG1}, {"DG2", &good.DG2}, {"DG13", &good.DG13}, {"SOD", &good.SOD}}
	reasons := map[verify.Reason]int{}
	for _, file := range files {
		orig := *file.b
		for i := range orig {
			for _, d := range deltas(orig[i]) {
				c := good
				b := bytes.Clone(orig)
				b[i] ^= byte(d)
				*(map[string]*[]byte{"DG1": &c.DG1, "DG2": &c.DG2, "DG13": &c.DG13, "SOD": &c.SOD}[file.name]) = b
				_, err := v.Verify(c)
				var ve *verify.Error
				if !errors.As(err, &ve) {
					t.Fatalf("%s byte %d ^ %#x: Verify = %v, want a verification error", file.name, i, d, err)
				}
				reasons[ve.Reason]++
			}
		}
	}
	t.Logf("reasons: %v", reasons)
}

// deltas are the XOR masks that TestVerify_rejectsEverySingleByteChange
// applies to a byte of value b.
func deltas(b byte) []int {
	if os.Getenv("DANCU_CARD_EXHAUSTIVE") != "" {
		out := make([]int, 255)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	out := []int{1, 2, 4, 8, 16, 32, 64, 128}
	for _, v := range []byte{0x00, 0xFF} {
		if d := int(b ^ v); d != 0 && d&(d-1) != 0 { // not already a one-bit change
			out = append(out, d)
		}
	}
	return out
}
