package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// subscriberList writes a CSV list of the first n people of the store at
// dir, each as recorded, plus one malformed line.
func subscriberList(t *testing.T, dir string, n int) string {
	t.Helper()
	ctx := context.Background()
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.SearchPersons(ctx, store.PersonQuery{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("phone,pin,full_name,birth_date,sex\n")
	for i, r := range rows {
		d := r.BirthDate
		if d == "" {
			d = "1990"
		}
		fmt.Fprintf(&b, "09%08d,%s,%s,%s,%s\n", i, r.PIN, r.NameFold, d, r.Sex)
	}
	b.WriteString("0912,not enough columns\n")
	path := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMain_Verify(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errOut syncBuffer
	if code := Main(ctx, []string{"generate", "--citizens", "300", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("generate: %d %s", code, errOut.String())
	}
	in := subscriberList(t, dir, 200)
	result := filepath.Join(t.TempDir(), "result.csv")
	out, errOut = syncBuffer{}, syncBuffer{}
	if code := Main(ctx, []string{"verify", "--input", in, "--output", result, "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("verify: %d %s", code, errOut.String())
	}
	var sum struct {
		Lines, Match, Deceased, Missing, Malformed int
	}
	if err := json.Unmarshal([]byte(out.String()), &sum); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	if sum.Lines != 201 || sum.Match+sum.Deceased+sum.Missing != 200 || sum.Malformed != 1 {
		t.Errorf("summary = %+v", sum)
	}
	if !strings.Contains(errOut.String(), "201 lines") {
		t.Errorf("no progress line: %q", errOut.String())
	}
	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 202 {
		t.Errorf("result has %d lines, want a header and 201", n)
	}
	if !bytes.Contains(b, []byte("202,,MALFORMED,,\"has 2 columns, the header has 5\"")) {
		t.Errorf("the malformed line is not reported by number and reason:\n%s", b[len(b)-200:])
	}

	// A file that is not a subscriber list is refused, naming why.
	bad := filepath.Join(t.TempDir(), "book.xlsx")
	os.WriteFile(bad, []byte("PK\x03\x04 a workbook"), 0o600)
	out, errOut = syncBuffer{}, syncBuffer{}
	if code := Main(ctx, []string{"verify", "--input", bad, "--output", result + "2", "--data", dir}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "ZIP archive") {
		t.Errorf("a workbook: %d %q", code, errOut.String())
	}
	out, errOut = syncBuffer{}, syncBuffer{}
	if code := Main(ctx, []string{"verify", "--input", in, "--data", dir}, &out, &errOut); code != 2 {
		t.Errorf("without --output: %d, want 2", code)
	}

	// A queued job is cancelled by id; a finished or unknown one is not.
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateVerifyJob(ctx, store.VerifyJob{ID: "vj_queued", Agency: "viettel", Client: "c1", Purpose: "p", Format: "csv",
		State: "queued", Summary: []byte(`{}`), CreatedAt: time.Now(), UpdatedAt: time.Now()})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		code int
		want string
	}{{"vj_queued", 0, "Cancelled vj_queued"}, {"vj_queued", 1, "is cancelled"}, {"vj_none", 1, "no job vj_none"}} {
		out, errOut = syncBuffer{}, syncBuffer{}
		code := Main(ctx, []string{"verify", "--cancel", tc.id, "--data", dir}, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("verify --cancel %s: %d %q %q, want %d and %q", tc.id, code, out.String(), errOut.String(), tc.code, tc.want)
		}
	}
}
