package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// fakeExchange holds agencies and grants in memory.
type fakeExchange struct {
	agencies map[string]bool
	grants   map[string][]exchange.Grant
}

func (f *fakeExchange) Agency(_ context.Context, id string) (*exchange.Agency, error) {
	if !f.agencies[id] {
		return nil, store.ErrNotFound
	}
	return &exchange.Agency{ID: id, Status: exchange.Active}, nil
}

func (f *fakeExchange) Grants(_ context.Context, agency string) ([]exchange.Grant, error) {
	return f.grants[agency], nil
}

// backends opens a store of each available kind.
func backends(t testing.TB) map[string]Store {
	out := map[string]Store{}
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/d.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out["sqlite"] = s
	if dsn := pgDSN(t); dsn != "" {
		p, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		out["postgres"] = p
	}
	return out
}

// pgDSN returns a fresh PostgreSQL database when DANCU_TEST_POSTGRES is set.
func pgDSN(t testing.TB) (dsn string) {
	if testingEnv(pgtest.EnvVar) == "" {
		return ""
	}
	return pgtest.NewDSN(t)
}

// pinOf is the i-th test PIN: Hà Nội (001), male born 1990.
func pinOf(i int) string { return fmt.Sprintf("001090%06d", i) }

// loadPeople puts n living people on the registry.
func loadPeople(t testing.TB, st Store, n int) {
	t.Helper()
	full, ok := st.(store.Store)
	if !ok {
		t.Fatal("not a full store")
	}
	ctx := context.Background()
	l, err := full.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	flush := func() {
		if err := l.Load(ctx, b); err != nil {
			t.Fatal(err)
		}
		b = store.Batch{}
	}
	for i := range n {
		b.Persons = append(b.Persons, store.PersonVersion{
			PersonRow: store.PersonRow{PIN: pinOf(i), Version: 1, NameKey: "an", NameFold: "an", BirthYear: 1990,
				BirthDate: "1990", Sex: "male", Province: "01", Commune: "00004", State: "alive", HouseholdID: "H", Data: []byte(`{}`)},
			Change: store.Change{EventID: "e" + pinOf(i), EventType: "birth", Actor: "t", ValidFrom: "1990-01-01"},
		})
		if len(b.Persons) == 5000 {
			flush()
		}
	}
	if len(b.Persons) > 0 {
		flush()
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func newService(t testing.TB, st Store, rec audit.Recorder) (*Service, *Dataset) {
	t.Helper()
	ex := &fakeExchange{agencies: map[string]bool{"vss": true, "bank": true, "police": true},
		grants: map[string][]exchange.Grant{
			"bank": {{Agency: "bank", Purpose: "kyc", Fields: []string{"full_name"}, Datasets: []string{"vss-si"}, Status: exchange.Active},
				{Agency: "bank", Purpose: "marketing", Fields: []string{"full_name"}, Status: exchange.Active}},
		}}
	svc := New(st, ex, rec, nil)
	d, err := svc.Register(context.Background(), Dataset{Name: "vss-si", Kind: "social-insurance", Agency: "vss"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, d
}

func siLine(i int, status string) string {
	return fmt.Sprintf(`{"key":"SI%06d","pin":%q,"attributes":{"insurance_code":"79%08d","status":%q}}`, i, pinOf(i), i, status)
}

func TestParseLine(t *testing.T) {
	k := LookupKind("health-insurance")
	good := `{"key":"c1","pin":"001090000001","attributes":{"card_number":"DN4797915123456","valid_from":"2025-01-01","valid_to":"2025-12-31","facility":"79024"}}`
	tests := []struct {
		name, line, field, reason string
	}{
		{"good", good, "", ""},
		{"bad JSON", `{"key":`, "", "not valid JSON"},
		{"not an object", `[1,2]`, "", "must be a JSON object"},
		{"non-UTF-8", "{\"key\":\"a\xff\"}", "", "not valid UTF-8"},
		{"unknown member", `{"key":"a","pin":"001090000001","attributes":{},"x":1}`, "x", "unknown member"},
		{"key missing", `{"pin":"001090000001","attributes":{}}`, "key", "is required"},
		{"key wrong type", `{"key":5,"pin":"001090000001","attributes":{}}`, "key", "must be a string, not a number"},
		{"pin wrong type", `{"key":"a","pin":1090000001,"attributes":{}}`, "pin", "must be a string"},
		{"pin malformed", `{"key":"a","pin":"12345","attributes":{}}`, "pin", ""},
		{"attributes wrong type", `{"key":"a","pin":"001090000001","attributes":"x"}`, "attributes", "must be an object"},
		{"unknown attribute", strings.Replace(good, `"facility"`, `"hospital"`, 1), "attributes.hospital", "unknown attribute"},
		{"attribute wrong type", strings.Replace(good, `"79024"`, `79024`, 1), "attributes.facility", "must be a string, not a number"},
		{"attribute missing", strings.Replace(good, `,"facility":"79024"`, ``, 1), "attributes.facility", "is required"},
		{"bad date", strings.Replace(good, `2025-12-31`, `2025-13-31`, 1), "attributes.valid_to", "must be a date"},
		{"dates reversed", strings.Replace(good, `2025-01-01`, `2026-01-01`, 1), "attributes.valid_to", "must not be before"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, e := k.ParseLine([]byte(tc.line))
			if tc.field == "" && tc.reason == "" {
				if e != nil {
					t.Fatalf("error %v, want none", e)
				}
				if want := `{"card_number":"DN4797915123456","valid_from":"2025-01-01","valid_to":"2025-12-31","facility":"79024"}`; string(p.Data) != want {
					t.Errorf("canonical = %s, want %s", p.Data, want)
				}
				return
			}
			if e == nil {
				t.Fatal("no error")
			}
			if e.Field != tc.field || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("error = %q / %q, want field %q, reason containing %q", e.Field, e.Reason, tc.field, tc.reason)
			}
			if strings.Contains(e.Reason, "001090000001") {
				t.Errorf("reason %q repeats a PIN", e.Reason)
			}
		})
	}
}

func TestCanonicalIgnoresFormatting(t *testing.T) {
	k := LookupKind("social-insurance")
	a, e1 := k.ParseLine([]byte(`{"key":"k","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":"active"}}`))
	b, e2 := k.ParseLine([]byte(` { "attributes" : { "status" : "active", "insurance_code" : "7900000001" }, "pin":"001090000001", "key":"k" } `))
	if e1 != nil || e2 != nil || !bytes.Equal(a.Data, b.Data) {
		t.Errorf("same content, different canonical forms: %s / %s (%v %v)", a.Data, b.Data, e1, e2)
	}
}

func TestService_Upload(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			loadPeople(t, st, 100)
			svc, d := newService(t, st, &audittest.Recorder{})
			var in strings.Builder
			for i := range 50 {
				in.WriteString(siLine(i, "active") + "\n")
			}
			bad := []string{
				`{"key":"x1","pin":"001090000001"`, // 51: bad JSON
				`{"key":"x2","pin":"001090999999","attributes":{"insurance_code":"7900000001","status":"active"}}`, // 52: not on the registry
				"\xff\xfe", // 53: not UTF-8
				`{"key":"x4","pin":"001090000001","attributes":{"insurance_code":7900000001,"status":"active"}}`, // 54: wrong type
				``, // 55: blank, skipped
				`{"key":"x6","pin":"999090000001","attributes":{"insurance_code":"7900000001","status":"active"}}`, // 56: bad PIN
			}
			for _, l := range bad {
				in.WriteString(l + "\n")
			}
			in.WriteString(siLine(60, "active")) // 57, no final newline
			want := Summary{Lines: 56, Inserted: 51, Rejected: 5, Errors: []LineError{
				{Line: 51, Reason: "not valid JSON (at byte 32)"},
				{Line: 52, Field: "pin", Reason: "not in the registry"},
				{Line: 53, Reason: "not valid UTF-8"},
				{Line: 54, Field: "attributes.insurance_code", Reason: "must be a string, not a number"},
			}}
			got, err := svc.Upload(ctx, d, "vss", strings.NewReader(in.String()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Errors) != 5 || got.Errors[4].Line != 56 || got.Errors[4].Field != "pin" {
				t.Errorf("errors = %+v, want 5 ending with line 56's pin", got.Errors)
			}
			got.Errors = got.Errors[:4]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("first upload:\n got %+v\nwant %+v", got, want)
			}
			// The same file again changes nothing.
			again, err := svc.Upload(ctx, d, "vss", strings.NewReader(in.String()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if again.Inserted != 0 || again.Updated != 0 || again.Unchanged != 51 || again.Rejected != 5 {
				t.Errorf("repeated upload = %+v, want 51 unchanged and nothing written", again)
			}
			r, err := st.DatasetRecord(ctx, "vss-si", "SI000003")
			if err != nil || r.Version != 1 {
				t.Errorf("record after repeat: version %d, %v; want 1", r.Version, err)
			}
			// A change of one record, and a key repeated in one upload: each
			// line applies in turn (two updates of SI000004), the later wins.
			change := siLine(3, "closed") + "\n" + siLine(4, "suspended") + "\n" + siLine(4, "closed") + "\n"
			c, err := svc.Upload(ctx, d, "vss", strings.NewReader(change), nil)
			if err != nil || c.Updated != 3 || c.Unchanged != 0 || c.Inserted != 0 {
				t.Errorf("change upload = %+v, %v; want 3 updated", c, err)
			}
			r4, _ := st.DatasetRecord(ctx, "vss-si", "SI000004")
			if !strings.Contains(string(r4.Data), "closed") {
				t.Errorf("repeated key: %s, want the later line's status", r4.Data)
			}
		})
	}
}

// TestService_UploadLogDown: a batch's writes are recorded before it is
// written, so with the access log refusing, the upload fails and nothing
// lands; once the log is back, the same upload lands with an entry per
// person.
func TestService_UploadLogDown(t *testing.T) {
	st := backends(t)["sqlite"]
	ctx := context.Background()
	loadPeople(t, st, 3*BatchLines)
	rec := &audittest.Recorder{}
	svc, d := newService(t, st, rec)
	var in strings.Builder
	for i := range 3 * BatchLines {
		in.WriteString(siLine(i, "active") + "\n")
	}
	rec.Fail(errors.New("log down"))
	if _, err := svc.Upload(ctx, d, "vss", strings.NewReader(in.String()), nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Upload with the log down: %v, want ErrUnavailable", err)
	}
	if _, err := st.DatasetRecord(ctx, "vss-si", "SI000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a record landed without its access-log entry: %v", err)
	}
	rec.Fail(nil)
	got, err := svc.Upload(ctx, d, "vss", strings.NewReader(in.String()), nil)
	if err != nil || got.Inserted != 3*BatchLines {
		t.Fatalf("Upload after the log is back: %+v, %v", got, err)
	}
	people := map[string]bool{}
	for _, a := range rec.Take() {
		if a.Action == "write" {
			people[a.PIN] = true
		}
	}
	if len(people) != 3*BatchLines {
		t.Errorf("%d people with write entries, want %d", len(people), 3*BatchLines)
	}
}

// stallingStore holds every batch write until its context ends, as a write
// in flight does when another stage fails and cancels the upload.
type stallingStore struct{ Store }

func (stallingStore) UpsertDatasetRecords(ctx context.Context, _ []store.DatasetRecord) (store.UpsertCounts, error) {
	<-ctx.Done()
	return store.UpsertCounts{}, fmt.Errorf("sqlite: upsert: %w", ctx.Err())
}

// secondFails is a recorder that records its first call and refuses the
// rest.
type secondFails struct {
	audittest.Recorder
	calls atomic.Int32
}

func (r *secondFails) Record(ctx context.Context, as ...audit.Access) error {
	if r.calls.Add(1) > 1 {
		return errors.New("log down")
	}
	return r.Recorder.Record(ctx, as...)
}

// TestService_UploadReportsTheFirstFailure: when the access log refuses a
// later batch while an earlier one is being written, the upload fails with
// the log's ErrUnavailable (a 503), not with the context.Canceled that the
// write in flight meets when the failure cancels it (a 500).
func TestService_UploadReportsTheFirstFailure(t *testing.T) {
	st := backends(t)["sqlite"]
	loadPeople(t, st, 2*BatchLines)
	svc, d := newService(t, stallingStore{st}, &secondFails{})
	var in strings.Builder
	for i := range 2 * BatchLines {
		in.WriteString(siLine(i, "active") + "\n")
	}
	if _, err := svc.Upload(context.Background(), d, "vss", strings.NewReader(in.String()), nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Upload: %v, want ErrUnavailable", err)
	}
}

func TestService_UploadCapsErrors(t *testing.T) {
	st := backends(t)["sqlite"]
	svc, d := newService(t, st, &audittest.Recorder{})
	in := strings.Repeat("nope\n", MaxListedErrors+7)
	got, err := svc.Upload(context.Background(), d, "vss", strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rejected != MaxListedErrors+7 || len(got.Errors) != MaxListedErrors || got.MoreErrors != 7 || got.Errors[0].Line != 1 {
		t.Errorf("rejected %d, listed %d, more %d; want %d, %d, 7", got.Rejected, len(got.Errors), got.MoreErrors, MaxListedErrors+7, MaxListedErrors)
	}
}

func TestService_Isolation(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			loadPeople(t, st, 5)
			rec := &audittest.Recorder{}
			svc, d := newService(t, st, rec)
			if _, err := svc.Upload(ctx, d, "vss", strings.NewReader(siLine(1, "active")), nil); err != nil {
				t.Fatal(err)
			}
			if CanWrite(d, "bank") || !CanWrite(d, "vss") || CanWrite(d, "") {
				t.Error("CanWrite: only the owner may write")
			}
			client := func(agency string) auth.Principal {
				return auth.Principal{Kind: auth.KindClient, ID: agency + "-app", Agency: agency}
			}
			tests := []struct {
				name    string
				p       auth.Principal
				purpose string
				want    error
			}{
				{"owner", client("vss"), "anything", nil},
				{"owner without purpose", client("vss"), "", ErrNoPurpose},
				{"grant lists the dataset", client("bank"), "kyc", nil},
				{"grant for another purpose", client("bank"), "marketing", ErrForbidden},
				{"no grant for the purpose", client("bank"), "other", ErrForbidden},
				{"agency without grants", client("police"), "kyc", ErrForbidden},
				{"admin", auth.Admin, "", nil},
				{"staff", auth.Principal{Kind: "staff", ID: "reg1"}, "kyc", ErrForbidden},
			}
			for _, tc := range tests {
				err := svc.MayRead(ctx, tc.p, d, tc.purpose)
				if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
					t.Errorf("%s: MayRead = %v, want %v", tc.name, err, tc.want)
				}
			}
			// Writing the record was recorded as a write by its source.
			if w := rec.Take(); len(w) == 0 || w[0].Action != "write" || w[0].PIN != pinOf(1) || w[0].Fields[0] != "dataset:vss-si" {
				t.Errorf("the write recorded %+v", w)
			}
			rs, err := svc.Read(ctx, client("bank"), d, pinOf(1), "kyc", "case-9", "req-1")
			if err != nil || len(rs) != 1 || rs[0].Source != "vss" {
				t.Fatalf("Read = %+v, %v", rs, err)
			}
			want := audit.Access{ActorKind: "client", Actor: "bank-app", Agency: "bank", Purpose: "kyc", CaseRef: "case-9",
				PIN: pinOf(1), Fields: []string{"dataset:vss-si"}, Action: "read", RequestID: "req-1"}
			if len(rec.All()) != 1 || fmt.Sprint(rec.All()[0]) != fmt.Sprint(want) {
				t.Errorf("recorded %+v, want %+v", rec.All(), want)
			}
			rec.Fail(errors.New("log down"))
			if _, err := svc.Read(ctx, client("bank"), d, pinOf(1), "kyc", "", "req-2"); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Read with the log down: %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestService_DatasetsCoverage(t *testing.T) {
	st := backends(t)["sqlite"]
	ctx := context.Background()
	loadPeople(t, st, 10)
	svc, d := newService(t, st, nil)
	var in strings.Builder
	for i := range 4 {
		in.WriteString(siLine(i, "active") + "\n")
	}
	if _, err := svc.Upload(ctx, d, "vss", strings.NewReader(in.String()), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, Dataset{Name: "x", Kind: "nope", Agency: "ghost"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Register of a bad dataset: %v, want ErrInvalid", err)
	}
	got, living, err := svc.Datasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if living != 10 || len(got) != 1 || got[0].LinkedLiving != 4 || got[0].LivingShare != 0.4 {
		t.Errorf("Datasets = %+v, living %d; want vss-si linking 4 of 10", got, living)
	}
	if !slices.Contains(KindNames(), "telecom-subscription") {
		t.Error("kinds miss telecom-subscription")
	}
}
