package sms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0912345678", "+84912345678", true},
		{"84912345678", "+84912345678", true},
		{"+84 912 345 678", "+84912345678", true},
		{"0912.345.678", "+84912345678", true},
		{"(091) 234-5678", "+84912345678", true},
		{"0312345678", "+84312345678", true},
		{"0212345678", "", false}, // landline prefix
		{"091234567", "", false},
		{"09123456789", "", false},
		{"1912345678", "", false},
		{"09123x5678", "", false},
		{"+", "", false},
		{"", "", false},
		{"0912345678+", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFileSender_Send(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	f := &FileSender{Path: path}
	ctx := context.Background()
	for _, text := range []string{"Mã xác thực: 123456", "second"} {
		if err := f.Send(ctx, "0912345678", text); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Send(ctx, "12", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad number: %v, want ErrInvalid", err)
	}
	if err := f.Send(ctx, "0912345678", strings.Repeat("x", maxText+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("long text: %v, want ErrInvalid", err)
	}
	ms, err := ReadFile(path)
	if err != nil || len(ms) != 2 || ms[0].To != "+84912345678" || ms[0].Text != "Mã xác thực: 123456" || ms[1].Text != "second" {
		t.Fatalf("ReadFile = %+v, %v", ms, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	if ms, err := ReadFile(filepath.Join(t.TempDir(), "none")); err != nil || ms != nil {
		t.Errorf("missing file: %v, %v", ms, err)
	}
}

func TestParseMessages_Errors(t *testing.T) {
	_, err := ParseMessages([]byte("{\"to\":\"+84912345678\",\"text\":\"a\"}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func TestHTTPSender_Send(t *testing.T) {
	var got struct{ To, From, Text string }
	var auth string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	h := &HTTPSender{URL: srv.URL, Token: "tok", From: "DANCU"}
	if err := h.Send(context.Background(), "0912345678", "code 1"); err != nil {
		t.Fatal(err)
	}
	if got.To != "+84912345678" || got.From != "DANCU" || got.Text != "code 1" || auth != "Bearer tok" {
		t.Errorf("gateway got %+v, auth %q", got, auth)
	}
	status = http.StatusInternalServerError
	err := h.Send(context.Background(), "0912345678", "code 123456")
	if err == nil || strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), "0912345678") {
		t.Errorf("failed send: %v (must fail and carry neither number nor text)", err)
	}
	srv.Close()
	err = h.Send(context.Background(), "0912345678", "code 123456")
	if err == nil || strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), "912345678") {
		t.Errorf("unreachable: %v (must fail and carry neither number nor text)", err)
	}
}

// FuzzNormalizePhone checks that any input either fails or gives a number
// that normalises to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "84", "+", "0912.345.678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizePhone(s)
		if !ok {
			return
		}
		if again, ok := NormalizePhone(got); !ok || again != got {
			t.Errorf("NormalizePhone(%q) = %q, which normalises to %q, %v", s, got, again, ok)
		}
	})
}

// FuzzParseMessages checks that no file content panics the reader.
func FuzzParseMessages(f *testing.F) {
	f.Add([]byte("{\"time\":\"2026-01-01T00:00:00Z\",\"to\":\"+84912345678\",\"text\":\"a\"}\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseMessages(b) })
}
