package services_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/store"
)

func TestService_SubmitProcessApprove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		form, err := e.svc.Prefill(e.ctx, e.husband, "temporary_residence_registration")
		if err != nil {
			t.Fatal(err)
		}
		if got := form.Values["full_name"]; got != "Nguyễn Văn An" {
			t.Errorf("prefilled name %q", got)
		}
		if got := form.Values["permanent_address"]; !strings.Contains(got, "Đội Cấn") || !strings.Contains(got, "Ba Đình") {
			t.Errorf("prefilled address %q", got)
		}
		d := e.submit(e.husband, temporary("k1"))
		if d.Status != services.Submitted || d.Authority != (services.Unit{Province: "01", Commune: "00008"}) {
			t.Errorf("dossier %s at %+v", d.Status, d.Authority)
		}
		// Friday + 3 working days = Wednesday 2 December: Tuesday 1 December
		// is a configured holiday.
		if d.Appointment != "2026-12-03" {
			t.Errorf("appointment %s, want 2026-12-03 (3 working days skipping the weekend and 1 Dec)", d.Appointment)
		}
		if len(d.Attachments) != 1 || d.Attachments[0].ContentType != "application/pdf" || len(d.Attachments[0].SHA256) != 64 {
			t.Errorf("attachments %+v", d.Attachments)
		}
		// The neighbouring commune's officer handles it; Ba Đình's may not.
		if _, err := e.svc.Accept(e.ctx, e.officer, d.Code, d.Version); services.KindOf(err) != services.KindForbidden {
			t.Errorf("Accept by another commune's officer = %v, want forbidden", err)
		}
		d, err = e.svc.Accept(e.ctx, e.other, d.Code, d.Version)
		if err != nil {
			t.Fatal(err)
		}
		// Information requested on Friday, given on Monday: the clock was
		// stopped for one working day.
		d, err = e.svc.RequestInfo(e.ctx, e.other, d.Code, d.Version, "Bổ sung hợp đồng thuê nhà có công chứng")
		if err != nil {
			t.Fatal(err)
		}
		q, err := e.svc.Queue(e.ctx, e.other, services.QueueQuery{Unit: services.Unit{Province: "01", Commune: "00008"}})
		if err != nil || q.Counts.Paused != 1 || q.Counts.Open != 1 {
			t.Errorf("queue counts %+v, %v", q.Counts, err)
		}
		*e.clock = now.AddDate(0, 0, 3) // Monday
		d, err = e.svc.Respond(e.ctx, e.husband, d.Code, d.Version, "Đã bổ sung", []services.Upload{{Kind: "lawful_residence", Name: "c.pdf", Content: pdf}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != services.InProgress || d.Appointment != "2026-12-04" || len(d.Attachments) != 2 {
			t.Errorf("after the answer: %s, appointment %s, %d attachments", d.Status, d.Appointment, len(d.Attachments))
		}
		before := e.person(e.husband.PIN)
		d, err = e.svc.Approve(e.ctx, e.other, d.Code, d.Version, services.Decision{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != services.Approved || d.EventID != "dossier-"+d.Code || d.ClosedAt.IsZero() {
			t.Errorf("approved dossier %+v", d)
		}
		after := e.person(e.husband.PIN)
		if after.TemporaryResidence == nil || after.TemporaryResidence.Commune != "00008" || before.TemporaryResidence != nil {
			t.Errorf("the registry was not changed: %+v", after.TemporaryResidence)
		}
		ev, err := e.st.Event(e.ctx, d.EventID)
		if err != nil || ev.Actor != e.other.ID {
			t.Errorf("event %+v, %v", ev, err)
		}
		out, _ := e.st.Outbox(e.ctx, 0, 1000)
		if last := out[len(out)-1]; last.EventID != d.EventID {
			t.Errorf("the outbox does not end with the approval's event: %s", last.EventID)
		}
		// Exactly once: approving again is refused and writes nothing.
		if _, err := e.svc.Approve(e.ctx, e.other, d.Code, d.Version, services.Decision{}); services.KindOf(err) != services.KindConflict {
			t.Errorf("second approval = %v, want conflict", err)
		}
		if got := e.person(e.husband.PIN); got.PIN != after.PIN {
			t.Fatal("lost the person")
		}
		ns, _ := e.svc.Notifications(e.ctx, e.husband, 10)
		var kinds []string
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
		}
		if got := strings.Join(kinds, " "); got != "approved in_progress info_requested in_progress submitted" {
			t.Errorf("notifications %s", got)
		}
		if len(e.sms.sent) != 5 || !strings.HasPrefix(e.sms.sent[0], "0912345678: dancu: ho so "+d.Code) {
			t.Errorf("sms %q", e.sms.sent)
		}
		for _, m := range e.sms.sent {
			if strings.Contains(m, e.husband.PIN) || strings.Contains(m, "Nguyễn") {
				t.Errorf("an SMS carries personal data: %q", m)
			}
		}
		// The officer's reads are in the access log; the citizen's are not.
		var officerReads int
		for _, a := range e.rec.All() {
			if a.ActorKind != "staff" || a.Actor != e.other.ID || a.PIN != e.husband.PIN || a.CaseRef != d.Code {
				t.Errorf("unexpected access %+v", a)
			}
			officerReads++
		}
		if officerReads < 4 {
			t.Errorf("%d officer accesses logged, want one per action", officerReads)
		}
	})
}

func TestService_SubmitRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		level1 := e.husband
		level1.Level = 1
		big := append(append([]byte{}, pdf...), make([]byte, 6<<20)...)
		tests := []struct {
			name  string
			who   services.Citizen
			in    services.SubmitInput
			kind  services.ErrorKind
			field string
		}{
			{"level 1 for a level 2 procedure", level1, temporary(""), services.KindForbidden, "procedure"},
			{"unknown procedure", e.husband, services.SubmitInput{Procedure: "nope"}, services.KindNotFound, "procedure"},
			{"forged locked name", e.husband, with(temporary(""), "full_name", "Nguyễn Văn Bê"), services.KindInvalid, "fields.full_name"},
			{"forged locked PIN", e.husband, with(temporary(""), "pin", e.wife.PIN), services.KindInvalid, "fields.pin"},
			{"unknown field", e.husband, with(temporary(""), "salary", "1"), services.KindInvalid, "fields.salary"},
			{"missing address", e.husband, with(temporary(""), "address", ""), services.KindInvalid, "fields.address"},
			{"bad date", e.husband, with(temporary(""), "valid_to", "27/11/2027"), services.KindInvalid, "fields.valid_to"},
			{"commune of another province", e.husband, with(temporary(""), "province", "79"), services.KindInvalid, "fields.commune"},
			{"no attachment", e.husband, services.SubmitInput{Procedure: "temporary_residence_registration",
				Fields: temporary("").Fields}, services.KindInvalid, "attachments"},
			{"attachment too large", e.husband, upload(temporary(""), services.Upload{Kind: "lawful_residence", Name: "x.pdf", Content: big}), services.KindInvalid, "attachments[0]"},
			{"attachment type by content", e.husband, upload(temporary(""), services.Upload{Kind: "lawful_residence", Name: "x.pdf", Content: []byte("<html><script>alert(1)</script>")}), services.KindInvalid, "attachments[0]"},
			{"attachment kind", e.husband, upload(temporary(""), services.Upload{Kind: "selfie", Name: "x.png", Content: png}), services.KindInvalid, "attachments[0].kind"},
			{"portrait must be a photo", e.husband, services.SubmitInput{Procedure: "id_card_issue",
				Uploads: []services.Upload{{Kind: "portrait", Name: "p.pdf", Content: pdf}}}, services.KindInvalid, "attachments[0]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := e.svc.Submit(e.ctx, tt.who, tt.in)
				var se *services.Error
				if !errors.As(err, &se) || se.Kind != tt.kind || se.Field != tt.field {
					t.Fatalf("Submit = %v, want kind %d on %s", err, tt.kind, tt.field)
				}
				if strings.Contains(se.Reason, "Nguyễn") || strings.Contains(se.Reason, e.husband.PIN) {
					t.Errorf("the reason carries personal data: %s", se.Reason)
				}
			})
		}
		rows, _ := e.st.DossierList(e.ctx, store.DossierQuery{ApplicantPIN: e.husband.PIN, Limit: 10})
		if len(rows) != 0 {
			t.Errorf("refused submissions stored %d dossiers", len(rows))
		}
	})
}

func with(in services.SubmitInput, k, v string) services.SubmitInput {
	f := map[string]string{}
	for a, b := range in.Fields {
		f[a] = b
	}
	f[k] = v
	in.Fields = f
	return in
}

func upload(in services.SubmitInput, u services.Upload) services.SubmitInput {
	in.Uploads = []services.Upload{u}
	return in
}

func TestService_IdempotentSubmission(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		codes := make([]string, 6)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, _, err := e.svc.Submit(e.ctx, e.husband, temporary("retry-1"))
				if err != nil {
					t.Error(err)
					return
				}
				codes[i] = d.Code
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != codes[0] {
				t.Errorf("retried submissions made dossiers %v", codes)
				break
			}
		}
		d, replay, err := e.svc.Submit(e.ctx, e.husband, temporary("retry-1"))
		if err != nil || !replay || d.Code != codes[0] {
			t.Errorf("retry = %v, replay %v, %v", d, replay, err)
		}
		rows, _ := e.st.DossierList(e.ctx, store.DossierQuery{ApplicantPIN: e.husband.PIN, Limit: 10})
		if len(rows) != 1 {
			t.Errorf("%d dossiers stored, want 1", len(rows))
		}
		ns, _ := e.svc.Notifications(e.ctx, e.husband, 10)
		if len(ns) != 1 {
			t.Errorf("%d notifications, want 1", len(ns))
		}
	})
}

func TestService_TwoOfficersOneWins(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		d := e.submit(e.husband, temporary(""))
		d, err := e.svc.Accept(e.ctx, e.other, d.Code, d.Version)
		if err != nil {
			t.Fatal(err)
		}
		head := &*e.other
		second := *e.other
		second.ID = "officer-ngocha-2"
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, o := range []any{head, &second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 0 {
					_, errs[i] = e.svc.Approve(e.ctx, head, d.Code, d.Version, services.Decision{})
				} else {
					_, errs[i] = e.svc.Reject(e.ctx, &second, d.Code, d.Version, "Giấy tờ không hợp lệ")
				}
				_ = o
			}()
		}
		wg.Wait()
		var won int
		for _, err := range errs {
			var stale *services.StaleError
			switch {
			case err == nil:
				won++
			case errors.As(err, &stale):
				if stale.Current.Version != d.Version+1 {
					t.Errorf("the loser sees version %d", stale.Current.Version)
				}
			default:
				t.Errorf("loser: %v, want a stale error with the new state", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d officers won", won)
		}
		cur, _ := e.st.Dossier(e.ctx, d.Code)
		p := e.person(e.husband.PIN)
		applied := p.TemporaryResidence != nil
		if (cur.Status == services.Approved) != applied {
			t.Errorf("dossier %s but registry applied=%v", cur.Status, applied)
		}
	})
}

func TestService_PreconditionsAtApproval(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		// The subject moved after filing a temporary absence.
		d := e.submit(e.husband, services.SubmitInput{Procedure: "temporary_absence_declaration",
			Fields: map[string]string{"destination": "Đà Nẵng"}})
		d, err := e.svc.Accept(e.ctx, e.officer, d.Code, d.Version)
		if err != nil {
			t.Fatal(err)
		}
		e.event("permanent_residence_registration", e.wife.PIN, "2026-11-27", map[string]any{"province": "01", "commune": "00008", "address": "Số 7 Ngọc Hà"})
		e.event("permanent_residence_registration", e.husband.PIN, "2026-11-27", map[string]any{"household_id": e.person(e.wife.PIN).HouseholdID, "relationship": "spouse"})
		_, err = e.svc.Approve(e.ctx, e.officer, d.Code, d.Version, services.Decision{})
		if services.KindOf(err) != services.KindConflict || !strings.Contains(err.Error(), "moved") {
			t.Errorf("approval after a move = %v", err)
		}
		// The person died.
		d = e.submit(e.wife, services.SubmitInput{Procedure: "residence_confirmation", Fields: map[string]string{"purpose": "Nộp hồ sơ xin việc"}})
		d2 := e.submit(e.wife, services.SubmitInput{Procedure: "id_card_reissue", Fields: map[string]string{"reason": "mất"},
			Uploads: []services.Upload{{Kind: "portrait", Name: "p.png", Content: png}}})
		if d2.Authority != (services.Unit{Province: "01"}) {
			t.Errorf("a card dossier goes to %+v, want the province", d2.Authority)
		}
		d2, err = e.svc.Accept(e.ctx, e.prov01, d2.Code, d2.Version)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Accept(e.ctx, e.other, d2.Code, d2.Version); services.KindOf(err) != services.KindForbidden {
			t.Errorf("a commune officer took a province dossier: %v", err)
		}
		e.event("death", e.wife.PIN, "2026-11-27", map[string]any{"new_head_pin": e.husband.PIN})
		_, err = e.svc.Approve(e.ctx, e.prov01, d2.Code, d2.Version, services.Decision{})
		if services.KindOf(err) != services.KindConflict || !strings.Contains(err.Error(), "died") {
			t.Errorf("approval after death = %v", err)
		}
		if p := e.person(e.wife.PIN); len(p.Documents) != 0 {
			t.Errorf("a card was recorded for a dead person")
		}
		_ = d
	})
}

func TestService_BirthRegistrationAllocatesPIN(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		d := e.submit(e.wife, services.SubmitInput{Procedure: "birth_registration",
			Fields: map[string]string{"child_full_name": "Nguyễn Minh Châu", "child_birth_date": "2026-11-20",
				"child_sex": "female", "place_of_birth": "Bệnh viện Phụ sản Hà Nội"},
			Uploads: []services.Upload{{Kind: "birth_certificate", Name: "chung-sinh.pdf", Content: pdf}}})
		if d.Fields["other_parent_pin"] != e.husband.PIN || d.Fields["ethnicity"] != "01" {
			t.Errorf("prefill of the other parent and ethnicity: %v", d.Fields)
		}
		d, err := e.svc.Accept(e.ctx, e.officer, d.Code, d.Version)
		if err != nil {
			t.Fatal(err)
		}
		d, err = e.svc.Approve(e.ctx, e.officer, d.Code, d.Version, services.Decision{Note: "Đã cấp giấy khai sinh"})
		if err != nil {
			t.Fatal(err)
		}
		if d.NewPIN == "" {
			t.Fatal("no PIN allocated")
		}
		child := e.person(d.NewPIN)
		if child.FullName != "Nguyễn Minh Châu" || child.Mother == nil || child.Mother.PIN != e.wife.PIN ||
			child.Father == nil || child.Father.PIN != e.husband.PIN || child.HouseholdID != e.hh {
			t.Errorf("child %+v", child)
		}
		if !strings.HasPrefix(d.NewPIN, "001") {
			t.Errorf("PIN %s is not of Hà Nội, where the birth was registered", d.NewPIN)
		}

		// The same birth applied for again: the approval is refused until
		// the officer states why the child on record is another one.
		d2 := e.submit(e.wife, services.SubmitInput{Procedure: "birth_registration",
			Fields: map[string]string{"child_full_name": "Nguyen Minh Chau", "child_birth_date": "2026-11-20",
				"child_sex": "female", "place_of_birth": "Bệnh viện Phụ sản Hà Nội"},
			Uploads: []services.Upload{{Kind: "birth_certificate", Name: "chung-sinh.pdf", Content: pdf}}})
		if d2, err = e.svc.Accept(e.ctx, e.officer, d2.Code, d2.Version); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Approve(e.ctx, e.officer, d2.Code, d2.Version, services.Decision{})
		var se *services.Error
		if !errors.As(err, &se) || se.Kind != services.KindConflict || se.Field != "not_duplicate_reason" {
			t.Fatalf("approval of a child on record = %v, want a conflict on not_duplicate_reason", err)
		}
		d2, err = e.svc.Approve(e.ctx, e.officer, d2.Code, d2.Version, services.Decision{NotDuplicateReason: "Sinh đôi: giấy chứng sinh số 2"})
		if err != nil || d2.NewPIN == "" || d2.NewPIN == d.NewPIN {
			t.Fatalf("declared approval = %+v, %v", d2, err)
		}
	})
}

func TestService_WithdrawAndOwnership(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		d := e.submit(e.husband, temporary(""))
		if _, err := e.svc.Mine(e.ctx, e.wife, d.Code); services.KindOf(err) != services.KindNotFound {
			t.Errorf("another citizen reads the dossier: %v", err)
		}
		if _, err := e.svc.Withdraw(e.ctx, e.wife, d.Code, d.Version); services.KindOf(err) != services.KindNotFound {
			t.Errorf("another citizen withdraws the dossier: %v", err)
		}
		d, err := e.svc.Withdraw(e.ctx, e.husband, d.Code, d.Version)
		if err != nil || d.Status != services.Withdrawn {
			t.Fatalf("Withdraw = %v, %v", d, err)
		}
		if _, err := e.svc.Accept(e.ctx, e.other, d.Code, d.Version); services.KindOf(err) != services.KindConflict {
			t.Errorf("accepting a withdrawn dossier = %v", err)
		}
		list, err := e.svc.MyDossiers(e.ctx, e.husband, "", 10)
		if err != nil || len(list) != 1 {
			t.Errorf("MyDossiers = %d, %v", len(list), err)
		}
	})
}

func TestService_StatsAndOverdue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := e.submit(e.husband, temporary(""))
		b := e.submit(e.husband, services.SubmitInput{Procedure: "temporary_absence_declaration", Fields: map[string]string{"destination": "Huế"}})
		b, _ = e.svc.Accept(e.ctx, e.officer, b.Code, b.Version)
		if _, err := e.svc.Approve(e.ctx, e.officer, b.Code, b.Version, services.Decision{}); err != nil {
			t.Fatal(err)
		}
		*e.clock = now.AddDate(0, 0, 14)
		q, err := e.svc.Queue(e.ctx, e.other, services.QueueQuery{Unit: services.Unit{Province: "01", Commune: "00008"}, Overdue: true})
		if err != nil || len(q.Dossiers) != 1 || q.Dossiers[0].Code != a.Code || q.Counts.Overdue != 1 {
			t.Fatalf("overdue queue %+v, %v", q, err)
		}
		if !q.Dossiers[0].Overdue(*e.clock) {
			t.Error("not flagged overdue")
		}
		figs, err := e.svc.Stats(e.ctx, now.AddDate(0, 0, -1), now.AddDate(0, 0, 30))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]services.Figures{}
		for _, f := range figs {
			got[f.Procedure+"/"+f.Province] = f
		}
		if f := got["temporary_absence_declaration/01"]; f.Decided != 1 || f.OnTime != 1 || f.OnTimeRate != 1 {
			t.Errorf("absence figures %+v", f)
		}
		if f := got["temporary_residence_registration/"]; f.Open != 1 || f.Overdue != 1 || f.Submitted != 1 {
			t.Errorf("national residence figures %+v", f)
		}
	})
}

func TestCatalogue_Configure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		days, fee := 5, int64(15_000)
		l, err := e.svc.Catalogue().Configure(e.ctx, "temporary_residence_registration", services.Settings{DeadlineDays: &days, Fee: &fee,
			Attachments: []services.AttachmentSpec{{Kind: "lease", Name: services.Text{VI: "Hợp đồng thuê nhà"}, Types: []string{"application/pdf"}, MaxBytes: 1 << 20, Required: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if l.DeadlineDays != 5 || l.Fee != 15_000 || len(l.Attachments) != 1 {
			t.Errorf("configured %+v", l)
		}
		// The old attachment kind is no longer accepted; the new one is.
		if _, _, err := e.svc.Submit(e.ctx, e.husband, temporary("")); services.KindOf(err) != services.KindInvalid {
			t.Errorf("old attachment kind accepted: %v", err)
		}
		in := temporary("")
		in.Uploads = []services.Upload{{Kind: "lease", Name: "l.pdf", Content: pdf}}
		d := e.submit(e.husband, in)
		if d.DeadlineDays != 5 || d.Fee != 15_000 || d.Appointment != "2026-12-07" {
			t.Errorf("dossier under the new settings: %d days, fee %d, appointment %s", d.DeadlineDays, d.Fee, d.Appointment)
		}
		bad := 0
		if _, err := e.svc.Catalogue().Configure(e.ctx, "temporary_residence_registration", services.Settings{DeadlineDays: &bad}); !errors.Is(err, services.ErrInvalid) {
			t.Errorf("deadline 0 accepted: %v", err)
		}
		if _, err := e.svc.Catalogue().Configure(e.ctx, "nope", services.Settings{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown procedure: %v", err)
		}
		off := true
		if _, err := e.svc.Catalogue().Configure(e.ctx, "residence_confirmation", services.Settings{Disabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Prefill(e.ctx, e.husband, "residence_confirmation"); services.KindOf(err) != services.KindConflict {
			t.Errorf("disabled procedure offered: %v", err)
		}
	})
}

func TestCalendar_Due(t *testing.T) {
	cal, err := services.NewCalendar([]string{"2026-12-01", "2027-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04", s, registry.Vietnam)
		return t
	}
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-27 09:00", 1, "2026-11-30"}, // Friday → Monday
		{"2026-11-27 23:30", 3, "2026-12-03"}, // skips the weekend and 1 December
		{"2026-11-28 10:00", 1, "2026-11-30"}, // filed on Saturday
		{"2026-12-31 10:00", 1, "2027-01-04"}, // New Year's Day, then a weekend
		{"2026-11-26 16:59", 0, "2026-11-26"},
	}
	for _, tt := range tests {
		day, end := cal.Due(at(tt.from), tt.n)
		if got := day.Format(time.DateOnly); got != tt.want {
			t.Errorf("Due(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
		if !end.Equal(day.AddDate(0, 0, 1)) {
			t.Errorf("end %v is not the midnight after %v", end, day)
		}
	}
	if n := cal.Between(at("2026-11-27 10:00"), at("2026-12-02 10:00")); n != 2 {
		t.Errorf("Between Fri and Wed over a holiday = %d, want 2 (Mon, Wed)", n)
	}
	if _, err := services.NewCalendar([]string{"1/12/2026"}); !errors.Is(err, services.ErrInvalid) {
		t.Errorf("malformed holiday: %v", err)
	}
}

func TestService_DeathAndMoveIntoHousehold(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		// The wife registers her husband's death; he heads the household,
		// so the officer names her the new head when approving.
		d := e.submit(e.wife, services.SubmitInput{Procedure: "death_registration",
			Fields:  map[string]string{"deceased_pin": e.husband.PIN, "date_of_death": "2026-11-25", "relationship": "vợ"},
			Uploads: []services.Upload{{Kind: "death_notice", Name: "bao-tu.pdf", Content: pdf}}})
		if d.SubjectPIN != e.husband.PIN || d.Authority != (services.Unit{Province: "01", Commune: "00004"}) {
			t.Errorf("death dossier about %s at %+v", d.SubjectPIN, d.Authority)
		}
		if acc := e.rec.All(); len(acc) != 1 || acc[0].ActorKind != "citizen" || acc[0].PIN != e.husband.PIN {
			t.Errorf("reading the deceased's record to route the dossier was not logged: %+v", acc)
		}
		d, _ = e.svc.Accept(e.ctx, e.officer, d.Code, d.Version)
		if _, err := e.svc.Approve(e.ctx, e.officer, d.Code, d.Version, services.Decision{}); services.KindOf(err) != services.KindConflict ||
			!strings.Contains(err.Error(), "new_head_pin") {
			t.Errorf("approval without a new head = %v", err)
		}
		d, err := e.svc.Approve(e.ctx, e.officer, d.Code, d.Version, services.Decision{NewHeadPIN: e.wife.PIN})
		if err != nil {
			t.Fatal(err)
		}
		if p := e.person(e.husband.PIN); p.Status.State != registry.Dead || p.Status.Date.String() != "2026-11-25" {
			t.Errorf("status %+v", p.Status)
		}
		if p := e.person(e.wife.PIN); p.RelationshipToHead != "head" || p.MaritalStatus != registry.Widowed {
			t.Errorf("the widow is %s, %s", p.RelationshipToHead, p.MaritalStatus)
		}

		// A newcomer registers permanent residence in her household.
		res := e.event("initial_registration", "", "2021-07-01", map[string]any{
			"full_name": "Lê Văn Cường", "birth_date": "1995-01-01", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": "79"},
			"address":            map[string]any{"province": "79", "commune": "25747", "address": "Số 3 đường 30/4"},
		})
		newcomer := services.Citizen{AccountID: "acct-cuong", PIN: res.PIN, Level: 2}
		d = e.submit(newcomer, services.SubmitInput{Procedure: "permanent_residence_registration",
			Fields:  map[string]string{"household_id": e.hh, "relationship": "other"},
			Uploads: []services.Upload{{Kind: "lawful_residence", Name: "dong-y.png", Content: png}}})
		if d.Authority != (services.Unit{Province: "01", Commune: "00004"}) {
			t.Errorf("a move into a household goes to %+v, want the household's commune", d.Authority)
		}
		d, _ = e.svc.Accept(e.ctx, e.officer, d.Code, d.Version)
		if _, err := e.svc.Approve(e.ctx, e.officer, d.Code, d.Version, services.Decision{}); err != nil {
			t.Fatal(err)
		}
		if p := e.person(newcomer.PIN); p.HouseholdID != e.hh || p.PermanentResidence == nil || p.PermanentResidence.Commune != "00004" {
			t.Errorf("the newcomer's residence %+v in %s", p.PermanentResidence, p.HouseholdID)
		}
	})
}
