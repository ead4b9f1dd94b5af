package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

var today = time.Date(2026, 11, 27, 10, 0, 0, 0, registry.Vietnam)

type world struct {
	t     *testing.T
	ctx   context.Context
	store store.Store
	reg   *registry.Registry
	n     int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &world{t: t, ctx: ctx, store: s, reg: registry.New(s, registry.WithClock(func() time.Time { return today }))}
}

// submit posts an event and fails the test on error.
func (w *world) submit(typ, subject, date string, data any) *registry.Result {
	w.t.Helper()
	res, err := w.try(typ, subject, date, data)
	if err != nil {
		w.t.Fatalf("%s: %v", typ, err)
	}
	return res
}

func (w *world) try(typ, subject, date string, data any) (*registry.Result, error) {
	w.n++
	return w.tryID(fmt.Sprintf("ev-%d", w.n), typ, subject, date, data, 0)
}

func (w *world) tryID(id, typ, subject, date string, data any, ifMatch int64) (*registry.Result, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.reg.Submit(w.ctx, registry.Submission{
		Event: registry.Event{ID: id, Type: typ, Subject: subject, EffectiveDate: registry.MustParseDate(date),
			Reason: "test", Data: raw},
		Actor: "tester", IfMatch: ifMatch,
	})
}

func (w *world) person(p string) *registry.Record {
	w.t.Helper()
	r, err := w.reg.Person(w.ctx, p, registry.Date{})
	if err != nil {
		w.t.Fatalf("Person: %v", err)
	}
	return r
}

func (w *world) household(id string) *registry.Household {
	w.t.Helper()
	h, err := w.reg.Household(w.ctx, id)
	if err != nil {
		w.t.Fatalf("Household: %v", err)
	}
	return h.Household
}

type obj = map[string]any

// family registers a couple at an address in Hà Nội (Phường Ba Đình) and
// marries them: he founds the household, she joins it as his spouse.
func (w *world) family() (husband, wife, household string) {
	w.t.Helper()
	res := w.submit("initial_registration", "", "2021-07-01", obj{
		"full_name": "Nguyễn Văn An", "birth_date": "1980-05-01", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "01"},
		"address":            obj{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
	})
	husband = res.PIN
	household = w.person(husband).Person.HouseholdID
	res = w.submit("initial_registration", "", "2021-07-01", obj{
		"full_name": "Trần Thị Bình", "birth_date": "1982-02", "sex": "female", "ethnicity": "01",
		"registration_place": obj{"province": "79"},
		"household_id":       household, "relationship": "spouse",
	})
	wife = res.PIN
	w.submit("marriage", husband, "2021-08-01", obj{"spouse_pin": wife})
	return husband, wife, household
}

func wantKind(t *testing.T, err error, kind registry.ErrorKind, field string) {
	t.Helper()
	var re *registry.Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a registry error of kind %d", err, kind)
	}
	if re.Kind != kind || re.Field != field {
		t.Errorf("err = kind %d field %q (%s), want kind %d field %q", re.Kind, re.Field, re.Reason, kind, field)
	}
}

func TestSubmit_FamilyLife(t *testing.T) {
	w := newWorld(t)
	husband, wife, hh := w.family()

	p := w.person(husband).Person
	if p.MaritalStatus != registry.Married || p.Spouse == nil || p.Spouse.PIN != wife || p.Spouse.FullName != "Trần Thị Bình" {
		t.Errorf("husband after marriage: %+v", p)
	}
	n, _ := pin.Parse(husband)
	if n.ProvinceCode() != "001" || n.BirthYear() != 1980 || n.Sex() != pin.Male {
		t.Errorf("husband's PIN does not encode province 001, 1980, male")
	}
	n, _ = pin.Parse(wife)
	if n.ProvinceCode() != "079" || n.BirthYear() != 1982 || n.Sex() != pin.Female {
		t.Errorf("wife's PIN does not encode province 079, 1982, female")
	}

	// A birth links both parents and joins their household as a child.
	res := w.submit("birth_registration", "", "2026-01-10", obj{
		"full_name": "Nguyễn Minh Châu", "birth_date": "2026-01-05", "sex": "female", "ethnicity": "01",
		"registration_place": obj{"province": "01", "commune": "00004"},
		"mother_pin":         wife, "father_pin": husband,
	})
	child := w.person(res.PIN).Person
	n, _ = pin.Parse(res.PIN)
	if n.ProvinceCode() != "001" || n.BirthYear() != 2026 || n.Sex() != pin.Female {
		t.Errorf("child's PIN does not encode 001, 2026, female")
	}
	if child.Mother.PIN != wife || child.Father.PIN != husband || child.HouseholdID != hh || child.RelationshipToHead != registry.RelChild {
		t.Errorf("child = %+v", child)
	}
	if child.PermanentResidence == nil || child.PermanentResidence.Commune != "00004" {
		t.Errorf("child's residence = %+v", child.PermanentResidence)
	}
	if got := w.person(wife).Person.Children; len(got) != 1 || got[0].PIN != res.PIN {
		t.Errorf("mother's children = %+v", got)
	}
	if len(res.People) != 3 || len(res.Households) != 1 {
		t.Errorf("birth wrote %d people and %d households, want 3 and 1", len(res.People), len(res.Households))
	}
	h := w.household(hh)
	if h.Head != husband || len(h.Members) != 3 {
		t.Errorf("household = %+v", h)
	}

	// The outbox has a row for each person the birth changed.
	rows, err := w.store.Outbox(w.ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var births int
	for _, r := range rows {
		if r.EventID == res.EventID {
			births++
		}
	}
	if births != 3 {
		t.Errorf("outbox rows for the birth = %d, want 3", births)
	}

	// Death of the head needs a new head; with one, the widow heads the household.
	_, err = w.try("death", husband, "2026-06-01", obj{})
	wantKind(t, err, registry.Conflict, "data.new_head_pin")
	w.submit("death", husband, "2026-06-01", obj{"new_head_pin": wife, "relationships": obj{res.PIN: "child"}})
	if p := w.person(husband).Person; p.Status.State != registry.Dead || p.Status.Date.String() != "2026-06-01" || p.HouseholdID != "" {
		t.Errorf("dead husband = %+v", p.Status)
	}
	if p := w.person(wife).Person; p.MaritalStatus != registry.Widowed || p.RelationshipToHead != registry.RelHead {
		t.Errorf("widow = %s, %s", p.MaritalStatus, p.RelationshipToHead)
	}
	if h := w.household(hh); h.Head != wife || len(h.Members) != 2 {
		t.Errorf("household after death = %+v", h)
	}
	_, err = w.try("death", husband, "2026-06-02", obj{})
	wantKind(t, err, registry.Conflict, "subject")
}

func TestSubmit_ImpossibleEventsWriteNothing(t *testing.T) {
	w := newWorld(t)
	husband, wife, hh := w.family()
	minor := w.submit("birth_registration", "", "2026-01-10", obj{
		"full_name": "Nguyễn Văn Bé", "birth_date": "2026-01-05", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "01", "commune": "00004"}, "mother_pin": wife,
	}).PIN
	single := w.submit("initial_registration", "", "2021-07-01", obj{
		"full_name": "Lê Thị Cúc", "birth_date": "1990-01-01", "sex": "female", "ethnicity": "01",
		"registration_place": obj{"province": "01"}, "household_id": hh, "relationship": "other",
	}).PIN

	before, _ := w.store.Outbox(w.ctx, 0, 1000)
	versions := map[string]int64{}
	for _, p := range []string{husband, wife, minor, single} {
		versions[p] = w.person(p).Version
	}
	for _, tc := range []struct {
		name, typ, subject, date string
		data                     any
		kind                     registry.ErrorKind
		field                    string
	}{
		{"marriage of a married person", "marriage", husband, "2026-02-01", obj{"spouse_pin": single}, registry.Conflict, "subject"},
		{"marriage of a minor", "marriage", minor, "2026-02-01", obj{"spouse_pin": single}, registry.Conflict, "subject"},
		{"marriage to oneself", "marriage", single, "2026-02-01", obj{"spouse_pin": single}, registry.Invalid, "data.spouse_pin"},
		{"child born before its mother", "birth_registration", "", "2026-02-01", obj{
			"full_name": "Nguyễn Văn Cũ", "birth_date": "1970-01-01", "sex": "male", "ethnicity": "01",
			"registration_place": obj{"province": "01", "commune": "00004"}, "mother_pin": wife,
		}, registry.Conflict, "data.mother_pin"},
		{"father recorded as female", "birth_registration", "", "2026-02-01", obj{
			"full_name": "Nguyễn Văn Cũ", "birth_date": "2026-01-01", "sex": "male", "ethnicity": "01",
			"registration_place": obj{"province": "01", "commune": "00004"}, "father_pin": wife,
		}, registry.Conflict, "data.father_pin"},
		{"move into a commune that does not exist", "permanent_residence_registration", single, "2026-02-01",
			obj{"province": "01", "commune": "99999", "address": "Số 2"}, registry.Invalid, "data.commune"},
		{"commune of another province", "permanent_residence_registration", single, "2026-02-01",
			obj{"province": "79", "commune": "00004", "address": "Số 2"}, registry.Invalid, "data.commune"},
		{"head leaves without a successor", "permanent_residence_registration", husband, "2026-02-01",
			obj{"province": "01", "commune": "00008", "address": "Số 3"}, registry.Conflict, "data.new_head_pin"},
		{"unknown field", "death", single, "2026-02-01", obj{"dat": "x"}, registry.Invalid, "data.dat"},
		{"unknown person", "death", "001190000001", "2026-02-01", obj{}, registry.NotFound, "subject"},
		{"malformed PIN", "death", "00119000000X", "2026-02-01", obj{}, registry.Invalid, "subject"},
		{"future date", "death", single, "2027-01-01", obj{}, registry.Invalid, "effective_date"},
		{"unknown event type", "resurrection", single, "2026-02-01", obj{}, registry.Invalid, "type"},
		{"bad name", "name_change", single, "2026-02-01", obj{"full_name": "Lê 3 Cúc"}, registry.Invalid, "data.full_name"},
		{"same name", "name_change", single, "2026-02-01", obj{"full_name": "Lê Thị Cúc"}, registry.Conflict, "data.full_name"},
		{"correction of an uncorrectable field", "correction", single, "2026-02-01", obj{"field": "sex", "value": "male"}, registry.Invalid, "data.field"},
		{"birth year against the PIN", "correction", single, "2026-02-01", obj{"field": "birth_date", "value": "1991-01-01"}, registry.Conflict, "data.value"},
		{"divorce of a single person", "divorce", single, "2026-02-01", obj{}, registry.Conflict, "subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.try(tc.typ, tc.subject, tc.date, tc.data)
			wantKind(t, err, tc.kind, tc.field)
		})
	}
	for p, v := range versions {
		if got := w.person(p).Version; got != v {
			t.Errorf("a refused event changed a record: version %d → %d", v, got)
		}
	}
	after, _ := w.store.Outbox(w.ctx, 0, 1000)
	if len(after) != len(before) {
		t.Errorf("refused events wrote %d outbox rows", len(after)-len(before))
	}
}

func TestSubmit_IdempotentByID(t *testing.T) {
	w := newWorld(t)
	_, _, hh := w.family()
	data := obj{"full_name": "Phạm Văn Dũng", "birth_date": "1999-09-09", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "79"}, "household_id": hh, "relationship": "other"}
	first, err := w.tryID("client-key-1", "initial_registration", "", "2026-02-01", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.tryID("client-key-1", "initial_registration", "", "2026-02-01", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.PIN != first.PIN || again.Seq != first.Seq {
		t.Errorf("replay = %+v, want the first result %+v", again, first)
	}
	n, _ := w.reg.Count(w.ctx)
	if n != 3 {
		t.Errorf("people after a replay = %d, want 3", n)
	}
	// Another actor reusing the id learns nothing.
	raw, _ := json.Marshal(data)
	_, err = w.reg.Submit(w.ctx, registry.Submission{Actor: "someone-else", Event: registry.Event{ID: "client-key-1",
		Type: "initial_registration", EffectiveDate: registry.MustParseDate("2026-02-01"), Reason: "test", Data: raw}})
	wantKind(t, err, registry.Conflict, "id")
	data["full_name"] = "Phạm Văn Dũng Khác"
	_, err = w.tryID("client-key-1", "initial_registration", "", "2026-02-01", data, 0)
	wantKind(t, err, registry.Conflict, "id")
}

func TestSubmit_ConcurrentReplaysApplyOnce(t *testing.T) {
	w := newWorld(t)
	husband, _, _ := w.family()
	var wg sync.WaitGroup
	results := make([]*registry.Result, 8)
	for i := range results {
		wg.Go(func() {
			r, err := w.tryID("same-key", "id_card_issued", husband, "2026-02-01", obj{}, 0)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	if docs := w.person(husband).Person.Documents; len(docs) != 1 {
		t.Errorf("documents after 8 concurrent submissions of one event = %d, want 1", len(docs))
	}
	for _, r := range results {
		if r != nil && r.Seq != results[0].Seq {
			t.Errorf("results disagree: %d vs %d", r.Seq, results[0].Seq)
		}
	}
}

func TestSubmit_IfMatch(t *testing.T) {
	w := newWorld(t)
	husband, _, _ := w.family()
	v := w.person(husband).Version
	_, err := w.tryID("a", "correction", husband, "2026-02-01", obj{"field": "blood_type", "value": "O+"}, v+1)
	wantKind(t, err, registry.Stale, "If-Match")
	if got := w.person(husband); got.Version != v || got.Person.BloodType != "" {
		t.Errorf("stale If-Match wrote the record")
	}
	if _, err := w.tryID("b", "correction", husband, "2026-02-01", obj{"field": "blood_type", "value": "O+"}, v); err != nil {
		t.Fatal(err)
	}
	if got := w.person(husband); got.Version != v+1 || got.Person.BloodType != "O+" {
		t.Errorf("after a matching If-Match: v%d %q", got.Version, got.Person.BloodType)
	}
}

func TestRegistry_HistoryAndAsOf(t *testing.T) {
	w := newWorld(t)
	husband, wife, _ := w.family()
	w.submit("name_change", wife, "2024-03-01", obj{"full_name": "Trần Thị Bích"})
	w.submit("id_card_issued", wife, "2025-01-02", obj{})

	hist, err := w.reg.History(w.ctx, wife)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range hist {
		types = append(types, r.Change.EventType)
	}
	if got := strings.Join(types, ","); got != "initial_registration,marriage,name_change,id_card_issued" {
		t.Errorf("history = %s", got)
	}
	for _, tc := range []struct {
		date, name string
		docs       int
	}{
		{"2021-07-01", "Trần Thị Bình", 0},
		{"2024-02-29", "Trần Thị Bình", 0},
		{"2024-03-01", "Trần Thị Bích", 0},
		{"2025-01-02", "Trần Thị Bích", 1},
	} {
		r, err := w.reg.Person(w.ctx, wife, registry.MustParseDate(tc.date))
		if err != nil {
			t.Fatalf("as of %s: %v", tc.date, err)
		}
		if r.Person.FullName != tc.name || len(r.Person.Documents) != tc.docs {
			t.Errorf("as of %s: %s with %d documents", tc.date, r.Person.FullName, len(r.Person.Documents))
		}
	}
	_, err = w.reg.Person(w.ctx, wife, registry.MustParseDate("2020-01-01"))
	wantKind(t, err, registry.NotFound, "pin")
	_, err = w.reg.Person(w.ctx, wife, registry.MustParseDate("2020-01"))
	wantKind(t, err, registry.Invalid, "as_of")

	// The spouse's record carries the new name.
	if s := w.person(husband).Person.Spouse; s.FullName != "Trần Thị Bích" {
		t.Errorf("spouse's copy of the name = %q", s.FullName)
	}
}

func TestRegistry_Search(t *testing.T) {
	w := newWorld(t)
	husband, wife, _ := w.family()
	w.submit("name_change", wife, "2024-03-01", obj{"full_name": "Trần Thị Thuỷ"})
	for _, tc := range []struct {
		name string
		q    registry.Query
		want []string
	}{
		{"accent-free", registry.Query{Name: "tran thi thuy"}, []string{wife}},
		{"old tone placement", registry.Query{Name: "Trần Thị Thủy"}, []string{wife}},
		{"new tone placement", registry.Query{Name: "TRẦN THỊ THUỶ"}, []string{wife}},
		{"other diacritics do not match", registry.Query{Name: "Trần Thị Thúy"}, nil},
		{"former name is not current", registry.Query{Name: "tran thi binh"}, nil},
		{"surname and year", registry.Query{Name: "nguyen", BirthYear: 1980}, []string{husband}},
		{"year only", registry.Query{BirthYear: 1982}, []string{wife}},
		{"province", registry.Query{Province: "01", Sex: registry.Male}, []string{husband}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 10
			recs, next, err := w.reg.Search(w.ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.Person.PIN)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || next != (registry.Cursor{}) {
				t.Errorf("got %v next %v, want %v", got, next, tc.want)
			}
		})
	}
	_, _, err := w.reg.Search(w.ctx, registry.Query{Limit: 10})
	wantKind(t, err, registry.Invalid, "name")
	_, _, err = w.reg.Search(w.ctx, registry.Query{Name: "!!! ...", Limit: 10})
	wantKind(t, err, registry.Invalid, "name")
	_, _, err = w.reg.Search(w.ctx, registry.Query{Name: "a", Limit: 1000})
	wantKind(t, err, registry.Invalid, "limit")
}

func TestSubmit_HouseholdSplitAndHeadChange(t *testing.T) {
	w := newWorld(t)
	husband, wife, hh := w.family()
	son := w.submit("initial_registration", "", "2021-07-01", obj{
		"full_name": "Nguyễn Văn Cường", "birth_date": "2000-01-01", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "01"}, "father_pin": husband, "mother_pin": wife,
	}).PIN
	if p := w.person(son).Person; p.HouseholdID != hh || p.RelationshipToHead != registry.RelChild {
		t.Fatalf("son joined %s as %s", p.HouseholdID, p.RelationshipToHead)
	}
	// The son splits off into his own household at the same address.
	res := w.submit("household_split", son, "2026-03-01", obj{"members": []string{son}, "head_pin": son})
	p := w.person(son).Person
	if p.HouseholdID == hh || p.RelationshipToHead != registry.RelHead {
		t.Errorf("after split: %s as %s", p.HouseholdID, p.RelationshipToHead)
	}
	if len(res.Households) != 2 {
		t.Errorf("split wrote %d households, want 2", len(res.Households))
	}
	if h := w.household(hh); len(h.Members) != 2 || h.Member(son) >= 0 {
		t.Errorf("old household = %+v", h)
	}
	// A split that would take everyone is refused.
	_, err := w.try("household_split", husband, "2026-03-02", obj{"members": []string{husband, wife}, "head_pin": husband})
	wantKind(t, err, registry.Conflict, "data.members")

	w.submit("household_head_change", husband, "2026-04-01", obj{"new_head_pin": wife, "relationships": obj{husband: "spouse"}})
	if h := w.household(hh); h.Head != wife {
		t.Errorf("head = %s", h.Head)
	}
	if p := w.person(husband).Person; p.RelationshipToHead != registry.RelSpouse {
		t.Errorf("former head's relationship = %s", p.RelationshipToHead)
	}
}

func TestSubmit_ResidenceAndCards(t *testing.T) {
	w := newWorld(t)
	husband, wife, hh := w.family()
	w.submit("permanent_residence_registration", wife, "2026-02-01", obj{"province": "79", "commune": "26743", "address": "12 Nguyễn Huệ"})
	p := w.person(wife).Person
	if p.PermanentResidence.Province != "79" || p.HouseholdID == hh || p.RelationshipToHead != registry.RelHead {
		t.Errorf("after moving: %+v in %s", p.PermanentResidence, p.HouseholdID)
	}
	w.submit("temporary_residence_registration", husband, "2026-02-01", obj{"province": "79", "commune": "26743", "address": "12 Nguyễn Huệ", "valid_to": "2027-02-01"})
	if p := w.person(husband).Person; p.TemporaryResidence == nil || p.CurrentResidence == nil || p.PermanentResidence.Province != "01" {
		t.Errorf("temporary residence: %+v", p)
	}
	w.submit("id_card_issued", husband, "2026-02-01", obj{})
	w.submit("id_card_issued", husband, "2026-03-01", obj{"issue_place": "Công an TP Hà Nội"})
	docs := w.person(husband).Person.Documents
	if len(docs) != 2 || docs[0].Status != "replaced" || docs[1].Status != "valid" || docs[1].Number != husband || docs[1].Expiry.String() != "2040-05-01" {
		t.Errorf("documents = %+v", docs)
	}
}

func TestSubmit_ConcurrentBirthsGetDistinctPINs(t *testing.T) {
	w := newWorld(t)
	_, wife, _ := w.family()
	const n = 20
	pins := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			raw, _ := json.Marshal(obj{
				"full_name": "Nguyễn Văn Sinh", "birth_date": "2026-01-05", "sex": "male", "ethnicity": "01",
				"registration_place": obj{"province": "01", "commune": "00004"}, "mother_pin": wife,
			})
			res, err := w.reg.Submit(w.ctx, registry.Submission{Actor: "t", Event: registry.Event{
				ID: fmt.Sprint("birth-", i), Type: "birth_registration", EffectiveDate: registry.MustParseDate("2026-01-10"),
				Reason: "test", Data: raw}})
			if err != nil {
				t.Error(err)
				return
			}
			pins <- res.PIN
		})
	}
	wg.Wait()
	close(pins)
	seen := map[string]bool{}
	for p := range pins {
		if seen[p] {
			t.Errorf("PIN allocated twice")
		}
		seen[p] = true
	}
	if got := len(w.person(wife).Person.Children); got != n {
		t.Errorf("mother has %d children, want %d (a lost update)", got, n)
	}
}

func TestCardExpiry(t *testing.T) {
	for _, tc := range []struct{ birth, issued, want string }{
		{"2010-06-15", "2024-07-01", "2035-06-15"}, // at 14: valid until 25
		{"2001-06-15", "2024-07-01", "2041-06-15"}, // at 23, within two years of 25: until 40
		{"1990-01-01", "2021-08-01", "2030-01-01"}, // at 31: until 40
		{"1985-05-01", "2024-01-01", "2045-05-01"}, // at 38, within two years of 40: until 60
		{"1966-01-01", "2024-07-01", ""},           // at 58, within two years of 60: no expiry
		{"1950-01-01", "2024-07-01", ""},           // over 60
		{"2020-01-01", "2024-07-01", "2034-01-01"}, // a child's card: until 14
		{"1980", "2021-08-01", "2040-12-31"},       // year only: counted from its last day
	} {
		got := registry.CardExpiry(registry.MustParseDate(tc.birth), registry.MustParseDate(tc.issued)).String()
		if got != tc.want {
			t.Errorf("CardExpiry(%s, %s) = %q, want %q", tc.birth, tc.issued, got, tc.want)
		}
	}
}
