package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStatusKeeper(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{"status then body", func(w http.ResponseWriter) { w.WriteHeader(503); io.WriteString(w, "down") }, 503, "down"},
		{"body only", func(w http.ResponseWriter) { io.WriteString(w, "ok") }, 200, "ok"},
		{"status only", func(w http.ResponseWriter) { w.WriteHeader(204) }, 204, ""},
		{"first status wins", func(w http.ResponseWriter) { w.WriteHeader(403); w.WriteHeader(500); io.WriteString(w, "x") }, 403, "x"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		k := &statusKeeper{ResponseWriter: rec}
		tt.handler(k)
		if !k.sent && k.status != 0 {
			rec.WriteHeader(k.status)
		}
		if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %q, want %d %q", tt.name, rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
		}
	}
}
