package sealed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sealed/sealedtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// Distinctive sensitive values the scenario writes, and the JSON keys of
// the fields that hold them: none may appear in a database file in clear.
var secrets = []string{
	"Tín ngưỡng Zqxw",      // religion
	`"religion"`,           // and the field names, which a clear document would show
	`"ethnicity"`,          //
	`"blood_type"`,         //
	"0987123456",           // phone (correction)
	`"phone"`,              //
	"zqxw.test@example.vn", // email
	`"email"`,              //
	"0911222333",           // telecom record phone
	"ZQXW-VAX",             // health record: vaccine
	"ZQXW-MARK",            // identifying marks on the chip (DG13)
	"ZQXW-PORTRAIT",        // biometrics reference (DG2)
	"ZQXW-CLAIM",           // an OIDC token's claims
	"ZQXW-DOSSIER",         // a dossier's document
	"ZQXW-ATTACH",          // an attachment
	"0933444555",           // an eID account's phone
	"0944555666",           // a dataset record's key chosen by its agency: a subscriber's phone
	"ZQXW-KEY-VAX",         // and an insurance card number
}

// fill writes every kind of sealed document through st: people and a
// household by life events (versions, events, outbox), corrections of
// phone, email, religion and blood type, linked-dataset records (telecom,
// vaccination), a chip card, a dossier with an attachment, an eID account
// and an OIDC token.
func fill(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	reg := registry.New(st)
	n := 0
	submit := func(typ, subject string, data any) *registry.Result {
		t.Helper()
		raw, _ := json.Marshal(data)
		n++
		res, err := reg.Submit(ctx, registry.Submission{Actor: "tester", Event: registry.Event{
			ID: fmt.Sprintf("leak-%d", n), Type: typ, Subject: subject,
			EffectiveDate: registry.MustParseDate("2024-01-02"), Reason: "test", Data: raw}})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		return res
	}
	type obj = map[string]any
	var pins []string
	for i := range 5 {
		res := submit("initial_registration", "", obj{
			"full_name": "Nguyễn Văn An", "birth_date": fmt.Sprintf("198%d-05-01", i), "sex": "male", "ethnicity": "17",
			"religion": "Tín ngưỡng Zqxw", "registration_place": obj{"province": "01"},
			"address": obj{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
		})
		pins = append(pins, res.PIN)
	}
	for _, p := range pins {
		for field, value := range map[string]string{"phone": "0987123456", "email": "zqxw.test@example.vn", "blood_type": "AB-"} {
			submit("correction", p, obj{"field": field, "value": value})
		}
	}
	recs := []store.DatasetRecord{
		{Dataset: "telecom-subscription", Key: "0944555666", PIN: pins[0], Source: "carrier", Hash: []byte("h1"),
			Data: []byte(`{"phone_number":"0911222333","carrier":"viettel"}`)},
		{Dataset: "vaccination", Key: "ZQXW-KEY-VAX", PIN: pins[1], Source: "moh", Hash: []byte("h2"),
			Data: []byte(`{"vaccine":"ZQXW-VAX","dose":"1","date":"2024-01-01"}`)},
	}
	if _, err := st.UpsertDatasetRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Found by its key, and a second push of the same records changes
	// nothing.
	if r, err := st.DatasetRecord(ctx, "telecom-subscription", "0944555666"); err != nil || r.Key != "0944555666" || r.PIN != pins[0] ||
		!bytes.Contains(r.Data, []byte("0911222333")) {
		t.Fatalf("dataset record by key = %+v, %v", r, err)
	}
	if c, err := st.UpsertDatasetRecords(ctx, recs); err != nil || c.Unchanged != 2 {
		t.Fatalf("second push = %+v, %v; want 2 unchanged", c, err)
	}
	if doses, err := st.VaccinationDoses(ctx, []string{"vaccination"}); err != nil || len(doses) != 1 || doses[0].Vaccine != "ZQXW-VAX" {
		t.Errorf("VaccinationDoses = %v, %v", doses, err)
	}
	if _, err := st.InsertCards(ctx, []store.CardRow{{PIN: pins[0], Seq: 1, EventID: "card-1", Kind: "can_cuoc",
		IssueDate: "2024-01-02", Status: "valid", Chip: true, DG1: []byte("dg1"),
		DG2: []byte("dancu-portrait-ref:ZQXW-PORTRAIT"), DG13: []byte("marks: ZQXW-MARK"), SOD: []byte("sod")}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := st.CreateDossier(ctx, store.DossierRow{Code: "D-1", Version: 1, Procedure: "p", ApplicantPIN: pins[0],
		SubjectPIN: pins[0], Province: "01", Status: "submitted", SubmittedAt: now, DueAt: now.Add(time.Hour), UpdatedAt: now,
		Data: []byte(`{"note":"ZQXW-DOSSIER"}`)},
		[]store.AttachmentRow{{Dossier: "D-1", ID: "a1", Kind: "k", Name: "f.txt", ContentType: "text/plain", Size: 11,
			SHA256: make([]byte, 32), CreatedAt: now, Content: []byte("ZQXW-ATTACH")}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEIDAccount(ctx, store.EIDAccount{ID: "acc-1", Kind: "citizen", PIN: pins[0], Version: 1, CreatedAt: now,
		Data: []byte(`{"phone":"0933444555"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutOIDCToken(ctx, store.OIDCToken{ID: "tok-1", Kind: store.OIDCAccessToken, GrantID: "g", ClientID: "c",
		AccountID: "acc-1", Data: []byte(`{"claims":"ZQXW-CLAIM"}`), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Everything reads back in clear through the store.
	rec, err := reg.Person(ctx, pins[0], registry.Date{})
	if err != nil || rec.Person.Phone != "0987123456" || rec.Person.Religion != "Tín ngưỡng Zqxw" || rec.Person.BloodType != "AB-" {
		t.Fatalf("person read back = %+v, %v", rec, err)
	}
	if cards, err := st.CardsByPIN(ctx, pins[0]); err != nil || len(cards) != 1 || !bytes.Contains(cards[0].DG13, []byte("ZQXW-MARK")) {
		t.Fatalf("cards read back = %v, %v", cards, err)
	}
	if a, err := st.Attachment(ctx, "D-1", "a1"); err != nil || string(a.Content) != "ZQXW-ATTACH" {
		t.Fatalf("attachment read back = %q, %v", a.Content, err)
	}
}

// found returns the secrets that occur in b.
func found(b []byte) []string {
	var out []string
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			out = append(out, s)
		}
	}
	return out
}

// sqliteFiles reads the database, the access log's file and their WALs.
func sqliteFiles(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", sqlite.AccessLogPath(path), sqlite.AccessLogPath(path) + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestSealed_NoClearValuesInSQLiteFiles writes every kind of sensitive
// document through a sealed SQLite store and scans the raw bytes of the
// database and its WAL, while open and after close. The same scenario on an
// unsealed store must show the values, so the scan can fail.
func TestSealed_NoClearValuesInSQLiteFiles(t *testing.T) {
	for _, seal := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%t", seal), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dancu.db")
			backend, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			var st store.Store = backend
			if seal {
				st = sealedtest.Wrap(t, backend)
			}
			fill(t, st)
			open := found(sqliteFiles(t, path))
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			closed := found(sqliteFiles(t, path))
			if seal && (len(open) > 0 || len(closed) > 0) {
				t.Errorf("in clear in the files: while open %q, after close %q", open, closed)
			}
			if !seal && len(closed) != len(secrets) {
				t.Errorf("the unsealed store shows only %d of %d values: the scan would miss a leak (%q)", len(closed), len(secrets), closed)
			}
		})
	}
}

// TestSealed_NoClearValuesInPostgres does the same on PostgreSQL, reading
// the raw bytes of every table (COPY in binary form, so bytea columns come
// as stored, not hex-encoded).
func TestSealed_NoClearValuesInPostgres(t *testing.T) {
	for _, seal := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%t", seal), func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.NewDSN(t)
			backend, err := postgres.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer backend.Close()
			var st store.Store = backend
			if seal {
				st = sealedtest.Wrap(t, backend)
			}
			fill(t, st)
			got := found(pgTables(t, dsn))
			if seal && len(got) > 0 {
				t.Errorf("in clear in the tables: %q", got)
			}
			if !seal && len(got) != len(secrets) {
				t.Errorf("the unsealed store shows only %d of %d values: the scan would miss a leak (%q)", len(got), len(secrets), got)
			}
		})
	}
}

// pgTables returns the raw contents of every table of the database.
func pgTables(t *testing.T, dsn string) []byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 10 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	var buf bytes.Buffer
	for _, tbl := range tables {
		if _, err := conn.PgConn().CopyTo(ctx, &buf, "COPY "+tbl+" TO STDOUT (FORMAT binary)"); err != nil {
			t.Fatalf("copy %s: %v", tbl, err)
		}
	}
	return buf.Bytes()
}
