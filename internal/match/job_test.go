package match

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// line is one subscriber line of a test file and the result it must get.
type line struct {
	csv    string
	result string // the expected result column
	fields string // the expected fields column
}

func csvLine(phone string, p *registry.Person, name string) string {
	return fmt.Sprintf("%s,%s,%s,%s,%s", phone, p.PIN, name, p.BirthDate.String(), p.Sex)
}

// testLines builds a subscriber list over pop covering every result.
func testLines(t *testing.T, pop *population) []line {
	alive := func(p *registry.Person) bool { return p.Status.State == registry.Alive && p.BirthDate.IsFull() }
	a := pop.find(t, alive)
	b := pop.find(t, func(p *registry.Person) bool { return alive(p) && p.PIN != a.PIN && p.Sex == registry.Female })
	dead := pop.find(t, func(p *registry.Person) bool { return p.Status.State == registry.Dead })
	over := pop.find(t, func(p *registry.Person) bool { return alive(p) && p.PIN != a.PIN && p.PIN != b.PIN })
	var ls []line
	add := func(csv, result, fields string) { ls = append(ls, line{csv, result, fields}) }
	add(csvLine("0912000001", a, a.FullName), ResultMatch, "")
	add(csvLine("+84 912 000 002", a, strings.ToUpper(a.FullName)), ResultMatch, "")
	add(fmt.Sprintf("0912000003,%s,%s,%s,%s", b.PIN, b.FullName, b.BirthDate.String()[:4], "Nữ"), ResultMatch, "")
	add(fmt.Sprintf("0912000004,%s,%s,%02d/%02d/%d,%s", b.PIN, "Nguyễn Thị Khác Hẳn", b.BirthDate.Day, b.BirthDate.Month, b.BirthDate.Year, "male"),
		ResultMismatch, "full_name;sex")
	add(csvLine("0912000005", dead, dead.FullName), ResultDeceased, "")
	add("0912000006,079190999999,Không Ai,1990-01-01,male", ResultNotFound, "")
	add("0912000007,12345,Không Ai,1990-01-01,male", ResultInvalidPIN, "")
	for i := range 5 {
		r := ResultMatch
		if i >= 3 {
			r = ResultOverLimit
		}
		add(csvLine(fmt.Sprintf("09130000%02d", i), over, over.FullName), r, "")
	}
	add("0912000008,079190999999,Không Ai,1990-13-01,male", ResultMalformed, "")
	add("0912000009,079190999999,Không Ai,1990-01-01", ResultMalformed, "")
	add("0912000010,079190999999,\"Không Ai,1990-01-01,male", ResultMalformed, "")
	add("0912000011,079190999999,Nguy\xe1n,1990-01-01,male", ResultMalformed, "")
	add("", ResultMalformed, "")
	add("0912000012,079190999999,Không Ai,1990-01-01,unknown", ResultMalformed, "")
	add(",079190999999,Không Ai,1990-01-01,male", ResultMalformed, "")
	return ls
}

func csvFile(ls []line) []byte {
	var b bytes.Buffer
	b.WriteString("phone,pin,full_name,birth_date,sex\r\n")
	for _, l := range ls {
		b.WriteString(l.csv + "\r\n")
	}
	return b.Bytes()
}

func newTestEngine(t *testing.T, st store.Store, batch int) (*Engine, *audittest.Recorder) {
	t.Helper()
	rec := &audittest.Recorder{}
	e, err := NewEngine(st, rec, EngineOptions{Dir: t.TempDir(), BatchLines: batch})
	if err != nil {
		t.Fatal(err)
	}
	return e, rec
}

func readResult(t *testing.T, e *Engine, id string) []byte {
	t.Helper()
	j, err := e.st.VerifyJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(e.resultPath(id))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != j.ResultBytes {
		t.Fatalf("result file has %d bytes, the checkpoint says %d", len(b), j.ResultBytes)
	}
	return b
}

func TestEngine_RunJob(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			pop := populate(t, st, 400)
			ls := testLines(t, pop)
			e, rec := newTestEngine(t, st, 4)
			ctx := context.Background()
			j, err := e.Submit(ctx, JobMeta{Agency: "viettel", Client: "viettel-bss", Purpose: "telecom.subscribers"},
				bytes.NewReader(csvFile(ls)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.RunJob(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(readResult(t, e, j.ID)), "\n"), "\n")
			if got[0]+"\n" != resultHeader {
				t.Errorf("header = %q", got[0])
			}
			got = got[1:]
			if len(got) != len(ls) {
				t.Fatalf("%d result lines for %d input lines", len(got), len(ls))
			}
			for i, l := range ls {
				cols := strings.SplitN(got[i], ",", 5)
				if cols[0] != fmt.Sprint(i+2) || cols[2] != l.result || cols[3] != l.fields {
					t.Errorf("line %d (%q) = %q; want line %d, %s, fields %q", i+2, l.csv, got[i], i+2, l.result, l.fields)
				}
				if l.result == ResultMalformed && cols[4] == "" {
					t.Errorf("line %d: MALFORMED without a reason", i+2)
				}
			}
			if !strings.Contains(string(readResult(t, e, j.ID)), "not valid UTF-8") {
				t.Error("the non-UTF-8 line is not reported as such")
			}
			done, _ := st.VerifyJob(ctx, j.ID)
			if done.State != StateDone || done.Offset != done.InputBytes {
				t.Errorf("job = %s at %d of %d bytes", done.State, done.Offset, done.InputBytes)
			}
			if _, err := os.Stat(e.inputPath(j.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the input is kept after the job: %v", err)
			}
			// Every person looked up is on the access log once for the
			// whole job (the batches hold 4 lines, the "over" person is on
			// 5), as a verification by the carrier's client of what the
			// file claims.
			accesses := rec.All()
			perPIN := map[string]int{}
			for _, a := range accesses {
				perPIN[a.PIN]++
				if !slices.Equal(a.Fields, []string{"status", AttrFullName, AttrBirthDate, AttrSex}) {
					t.Errorf("access fields = %v", a.Fields)
				}
			}
			if len(perPIN) != 4 || len(accesses) != 4 {
				t.Errorf("accesses per person = %v, want one for each of the 4 people on the registry", perPIN)
			}
			for _, a := range accesses {
				if a.Action != "verify" || a.Agency != "viettel" || a.Actor != "viettel-bss" || a.CaseRef != j.ID {
					t.Errorf("access = %+v", a)
				}
				if a.PIN == "079190999999" {
					t.Error("an access recorded for a PIN no one holds")
				}
			}
		})
	}
}

func TestEngine_RunJob_NDJSON(t *testing.T) {
	pop := sqlitePopulation(t)
	p := pop.find(t, func(p *registry.Person) bool { return p.Status.State == registry.Alive })
	file := "\xef\xbb\xbf" + fmt.Sprintf(`{"phone":"0912000001","pin":%q,"full_name":%q,"birth_date":%q,"sex":%q}`+"\n"+
		`{"phone":"0912000002","pin":%q,"full_name":"Ai Khác","birth_date":%q,"sex":%q,"document_number":"000000001"}`+"\n"+
		`{"phone":"0912000003","pin":1234}`+"\n"+
		`not json`+"\n",
		p.PIN, p.FullName, p.BirthDate.String(), p.Sex, p.PIN, p.BirthDate.String(), p.Sex)
	e, _ := newTestEngine(t, pop.st, 100)
	ctx := context.Background()
	j, err := e.Submit(ctx, JobMeta{Agency: "viettel", Client: "c"}, strings.NewReader(file), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if j.Format != string(NDJSON) {
		t.Fatalf("format = %s, want ndjson (from the content)", j.Format)
	}
	if err := e.RunJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	want := resultHeader +
		"1,0912000001,MATCH,,\n" +
		"2,0912000002,MISMATCH,full_name;document_number,\n" +
		"3,,MALFORMED,,\"pin: must be a string\"\n" +
		"4,,MALFORMED,,\"not a JSON object\"\n"
	if got := string(readResult(t, e, j.ID)); got != want {
		t.Errorf("result:\n%s\nwant:\n%s", got, want)
	}
}

func TestEngine_Submit_refusals(t *testing.T) {
	st := sqlitePopulation(t).st
	e, _ := newTestEngine(t, st, 10)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		body   string
		format Format
		max    int64
		want   error
	}{
		{"empty", "", "", 100, ErrNotJobFile},
		{"zip", "PK\x03\x04rest", "", 100, ErrNotJobFile},
		{"binary", "phone,pin\x00", "", 100, ErrNotJobFile},
		{"utf16", "\xff\xfep\x00h\x00", "", 100, ErrNotJobFile},
		{"no header", "0912000001,079190000001,A,1990,male\n", CSV, 100, ErrNotJobFile},
		{"header lacks sex", "phone,pin,full_name,birth_date\n", CSV, 100, ErrNotJobFile},
		{"csv said, ndjson sent", `{"phone":"1"}` + "\n", CSV, 100, ErrNotJobFile},
		{"ndjson said, csv sent", "phone,pin,full_name,birth_date,sex\n", NDJSON, 100, ErrNotJobFile},
		{"too large", "phone,pin,full_name,birth_date,sex\n" + strings.Repeat("0912000001,079190000001,A,1990,male\n", 10), "", 100, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Submit(ctx, JobMeta{Agency: "refused", Format: tc.format}, strings.NewReader(tc.body), tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "0912000001") {
				t.Errorf("the error echoes the file: %v", err)
			}
			left, _ := os.ReadDir(e.opts.Dir)
			if len(left) != 0 {
				t.Errorf("files kept after a refused upload: %v", left)
			}
			jobs, _ := st.VerifyJobs(ctx, "refused", 10)
			if len(jobs) != 0 {
				t.Errorf("a job was created: %v", jobs)
			}
		})
	}
}

// errCrash simulates the process dying at a chosen point.
var errCrash = errors.New("simulated crash")

// TestEngine_resume kills a job at several points (after a batch's results
// are written but before its checkpoint, and between batches), resumes it
// each time, and compares the result with an uninterrupted run: no line
// twice, none lost, and the OVER_LIMIT counts carried over.
func TestEngine_resume(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			pop := populate(t, st, 300)
			var ls []line
			for i := range 3 {
				for k := 0; k < len(pop.people); k += 2 {
					p := &pop.people[(k+i*37)%len(pop.people)]
					ls = append(ls, line{csv: csvLine(fmt.Sprintf("09%08d", len(ls)), p, p.FullName)})
					if k%50 == 0 { // a PIN on many lines, spread over batches
						ls = append(ls, line{csv: csvLine(fmt.Sprintf("09%08d", len(ls)), &pop.people[0], pop.people[0].FullName)})
					}
				}
			}
			ls = append(ls, line{csv: "0912,bad line"})
			file := csvFile(ls)
			ctx := context.Background()

			ref, _ := newTestEngine(t, st, 7)
			j, err := ref.Submit(ctx, JobMeta{Agency: "viettel", Client: "c"}, bytes.NewReader(file), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := ref.RunJob(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			want := readResult(t, ref, j.ID)
			if !bytes.Contains(want, []byte(ResultOverLimit)) {
				t.Fatal("the test file has no OVER_LIMIT line")
			}

			e, _ := newTestEngine(t, st, 7)
			j, err = e.Submit(ctx, JobMeta{Agency: "viettel", Client: "c"}, bytes.NewReader(file), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			runs := 0
			for _, stop := range []struct {
				batch      int
				afterWrite bool // crash with the results written, the checkpoint not
			}{{3, true}, {2, false}, {5, true}, {1, true}, {4, false}} {
				runs++
				cctx, cancel := context.WithCancel(ctx)
				e.afterWrite = func(_ store.VerifyJob, n int) error {
					if n == stop.batch {
						if stop.afterWrite {
							return errCrash
						}
						cancel()
					}
					return nil
				}
				err := e.RunJob(cctx, j.ID)
				cancel()
				if err == nil {
					t.Fatalf("run %d: the job finished before its crash", runs)
				}
				if !errors.Is(err, errCrash) && !errors.Is(err, context.Canceled) {
					t.Fatalf("run %d: %v", runs, err)
				}
				mid, _ := st.VerifyJob(ctx, j.ID)
				if mid.State != StateRunning {
					t.Fatalf("run %d: state %s after a crash, want running", runs, mid.State)
				}
			}
			e.afterWrite = nil
			if err := e.RunPending(ctx); err != nil {
				t.Fatal(err)
			}
			got := readResult(t, e, j.ID)
			if !bytes.Equal(got, want) {
				t.Errorf("resumed result differs from the uninterrupted one:\n%s", firstDiff(got, want))
			}
			a, _ := st.VerifyJob(ctx, j.ID)
			b, _ := st.VerifyJob(ctx, ref.opts.Dir) // not a job: just make sure lookups by other ids fail
			_ = b
			refJob, _ := st.VerifyJob(ctx, jobIDOf(t, st, ref))
			if string(a.Summary) != string(refJob.Summary) {
				t.Errorf("summary %s, uninterrupted %s", a.Summary, refJob.Summary)
			}
		})
	}
}

func jobIDOf(t *testing.T, st store.Store, e *Engine) string {
	jobs, err := st.VerifyJobs(context.Background(), "viettel", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if _, err := os.Stat(e.resultPath(j.ID)); err == nil {
			return j.ID
		}
	}
	t.Fatal("no job of that engine")
	return ""
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(al), len(bl))
}

// TestEngine_RunJob_edges: a byte order mark, a semicolon separator, a
// quoted field with the separator inside, and no line break at the end.
func TestEngine_RunJob_edges(t *testing.T) {
	pop := sqlitePopulation(t)
	p := pop.find(t, func(p *registry.Person) bool { return p.Status.State == registry.Alive })
	file := "\xef\xbb\xbfSEX;PIN;Full_Name;birth_date;phone;extra\r\n" +
		fmt.Sprintf("%s;%s;\"%s\";%s;0912000001;\"a;b\"\r\n", p.Sex, p.PIN, p.FullName, p.BirthDate.String()) +
		fmt.Sprintf("%s;%s;%s;%s;0912000002;x", p.Sex, p.PIN, p.FullName, p.BirthDate.String())
	e, _ := newTestEngine(t, pop.st, 100)
	ctx := context.Background()
	j, err := e.Submit(ctx, JobMeta{Agency: "edges", Client: "c", Purpose: "p"}, strings.NewReader(file), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	want := resultHeader + "2,0912000001,MATCH,,\n3,0912000002,MATCH,,\n"
	if got := string(readResult(t, e, j.ID)); got != want {
		t.Errorf("result:\n%s\nwant:\n%s", got, want)
	}
}

// TestEngine_Cancel cancels a job while it runs, as another process
// would: the runner stops at its next checkpoint, the lines answered
// before stay in the result, the subscribers' data goes.
func TestEngine_Cancel(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			pop := populate(t, st, 100)
			var ls []line
			for i := range pop.people {
				ls = append(ls, line{csv: csvLine(fmt.Sprintf("09%08d", i), &pop.people[i], pop.people[i].FullName)})
			}
			ctx := context.Background()
			e, _ := newTestEngine(t, st, 10)
			j, err := e.Submit(ctx, JobMeta{Agency: "viettel", Client: "c"}, bytes.NewReader(csvFile(ls)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Cancel(ctx, "mobifone", j.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("another agency's cancel: %v, want not found", err)
			}
			e.afterWrite = func(_ store.VerifyJob, n int) error {
				if n == 3 {
					if _, err := e.Cancel(ctx, "viettel", j.ID); err != nil {
						t.Errorf("Cancel: %v", err)
					}
				}
				return nil
			}
			if err := e.RunJob(ctx, j.ID); err != nil {
				t.Fatalf("RunJob of a job cancelled under it: %v", err)
			}
			got, err := st.VerifyJob(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != StateCancelled || got.Lines != 21 || got.FinishedAt.IsZero() || !HasResult(got) {
				t.Errorf("job %s after %d lines (finished %v), want cancelled after the header and two batches", got.State, got.Lines, got.FinishedAt)
			}
			f, n, err := e.OpenResult(got)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, n)
			_, err = io.ReadFull(f, b)
			f.Close()
			if err != nil || bytes.Count(b, []byte("\n")) != 21 {
				t.Errorf("result of the cancelled job: %d lines, %v; want the header and 20", bytes.Count(b, []byte("\n")), err)
			}
			if _, err := os.Stat(e.inputPath(j.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the input is kept after cancellation: %v", err)
			}
			if _, err := os.Stat(e.marksPath(j.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the line marks are kept after cancellation: %v", err)
			}
			if _, err := e.Cancel(ctx, "", j.ID); !errors.Is(err, ErrJobFinished) {
				t.Errorf("second cancel: %v, want ErrJobFinished", err)
			}
			// A queued job is cancelled before it starts, and never runs.
			e.afterWrite = nil
			q, err := e.Submit(ctx, JobMeta{Agency: "viettel", Client: "c"}, bytes.NewReader(csvFile(ls)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if c, err := e.Cancel(ctx, "", q.ID); err != nil || c.State != StateCancelled || HasResult(c) {
				t.Fatalf("cancel a queued job: %+v, %v", c, err)
			}
			if err := e.RunPending(ctx); err != nil {
				t.Fatal(err)
			}
			if after, _ := st.VerifyJob(ctx, q.ID); after.State != StateCancelled || after.Lines != 0 {
				t.Errorf("a cancelled job ran: %s, %d lines", after.State, after.Lines)
			}
		})
	}
}
