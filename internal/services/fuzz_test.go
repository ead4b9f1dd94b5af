package services

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// FuzzCheckFields feeds arbitrary form values to the validation of a
// dossier's fields: it never panics, a refusal names a field of the form,
// and an accepted form carries exactly the registry's value in every
// locked field, whatever was sent.
func FuzzCheckFields(f *testing.F) {
	p, _ := builtinProcedure("temporary_residence_registration")
	reg := map[string]string{"full_name": "Nguyễn Văn An", "pin": "001090000001", "birth_date": "1990-05-01",
		"permanent_address": "Số 1 phố Đội Cấn", "phone": "0912345678"}
	f.Add("full_name", "Nguyễn Văn An", "01", "00008", "Số 5", "2027-01-01")
	f.Add("full_name", "Nguyễn Văn Bê", "01", "00008", "Số 5", "")
	f.Add("pin", "001090000002", "79", "x", "", "27/11/2027")
	f.Add("salary", "1", "01\x00", "00008", strings.Repeat("a", 400), "2027-02-30")
	f.Fuzz(func(t *testing.T, name, value, prov, comm, addr, validTo string) {
		sent := map[string]string{name: value, "province": prov, "commune": comm, "address": addr, "valid_to": validTo}
		out, err := checkFields(p, reg, sent)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || !strings.HasPrefix(e.Field, "fields.") {
				t.Fatalf("refusal %v is not an invalid field", err)
			}
			return
		}
		for _, fl := range p.Fields {
			if fl.Locked && out[fl.Name] != reg[fl.Name] {
				t.Fatalf("locked %s = %q, registry %q", fl.Name, out[fl.Name], reg[fl.Name])
			}
		}
	})
}

// FuzzParseSettingsForm feeds arbitrary settings forms to the console's
// parser and the settings' check: no panic, and whatever passes both has
// valid bounds.
func FuzzParseSettingsForm(f *testing.F) {
	f.Add("7000", "3", "1", "lease | required | application/pdf | 1024 | Hợp đồng")
	f.Add("-1", "0", "", "x|y")
	f.Add("1.000.000", "90", "1", "a | optional | image/png, image/jpeg | 99999999 | b\n\n c | required | text/html | 1 | d")
	f.Fuzz(func(t *testing.T, fee, days, offered, attachments string) {
		form := url.Values{"fee": {fee}, "deadline_days": {days}, "offered": {offered}, "attachments": {attachments}}
		r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s, err := parseSettingsForm(r)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("parse error %v is not ErrInvalid", err)
			}
			return
		}
		if err := s.check(); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("check error %v is not ErrInvalid", err)
			}
			return
		}
		if *s.Fee < 0 || *s.DeadlineDays < 1 {
			t.Fatalf("accepted fee %d, days %d", *s.Fee, *s.DeadlineDays)
		}
		for _, a := range s.Attachments {
			if a.MaxBytes < 1 || a.MaxBytes > MaxAttachmentBytes || len(a.Types) == 0 {
				t.Fatalf("accepted attachment %+v", a)
			}
		}
	})
}

// FuzzNewCalendar: holidays are dates or a refusal, and a deadline always
// lands on a working day after the start.
func FuzzNewCalendar(f *testing.F) {
	f.Add("2026-12-01", 3)
	f.Add("2026-13-01", 0)
	f.Add("", 90)
	f.Fuzz(func(t *testing.T, h string, n int) {
		c, err := NewCalendar([]string{h})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v", err)
			}
			return
		}
		n = ((n % 90) + 90) % 90
		from := time.Date(2026, 11, 27, 9, 0, 0, 0, registry.Vietnam)
		day, end := c.Due(from, n+1)
		if !c.Working(day) || !day.After(from) || !end.After(day) {
			t.Fatalf("Due(%v, %d) = %v", from, n+1, day)
		}
	})
}
