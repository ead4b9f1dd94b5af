package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServe_abuse sends a real server what attackers and broken clients
// send — a slowloris, oversized and chunked bodies, JSON nested thousands
// deep, bytes that are not UTF-8, a flood from one address — and checks that
// each is cut off cleanly with a clear answer, that nothing is written, and
// that a legitimate client is served all along.
func TestServe_abuse(t *testing.T) {
	dir := t.TempDir()
	const token = "abuse-test-admin-token-0123456789"
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", dir}, map[string]string{
		"DANCU_ADMIN_TOKEN":                token,
		"DANCU_HTTP_READ_HEADER_TIMEOUT":   "1s",
		"DANCU_HTTP_MAX_BODY_BYTES":        "8192",
		"DANCU_RATE_LIMIT_PER_ADDRESS":     "20",
		"DANCU_RATE_LIMIT_ADDRESS_BURST":   "20",
		"DANCU_RATE_LIMIT_TRUSTED_PROXIES": "",
	})
	host := strings.TrimPrefix(s.base, "http://")

	post := func(body io.Reader, contentType string, chunked bool) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.base+"/v1/events", body)
		if err != nil {
			t.Fatal(err)
		}
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	events := func() string {
		_, _, body := get(t, s.base+"/v1/events", token)
		return body
	}
	before := events()

	// Slowloris: headers trickling in are cut off at the header timeout,
	// while other clients are served.
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", host)
	cut := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", i); err != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
			if time.Since(start) > 10*time.Second {
				break
			}
		}
		cut <- time.Since(start)
	}()
	if status, _, _ := get(t, s.base+"/healthz", ""); status != http.StatusOK {
		t.Errorf("a legitimate client got %d during the slowloris", status)
	}
	io.Copy(io.Discard, bufio.NewReader(conn)) // returns when the server closes
	if d := <-cut; d > 5*time.Second {
		t.Errorf("the slow client kept its connection for %v; want it cut after about 1s", d)
	}

	// Bodies over the limit, declared or chunked.
	big := strings.Repeat("x", 9000)
	if status, body := post(strings.NewReader(`{"reason":"`+big+`"}`), "application/json", false); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "8192 bytes") {
		t.Errorf("oversized body: %d %s", status, body)
	}
	if status, body := post(strings.NewReader(`{"reason":"`+big+`"}`), "application/json", true); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized chunked body: %d %s", status, body)
	}

	// JSON nested thousands deep: a clean 4xx, no crash.
	deep := strings.Repeat("[", 4000) + strings.Repeat("]", 4000)
	if status, body := post(strings.NewReader(deep), "application/json", false); status < 400 || status >= 500 {
		t.Errorf("deep JSON: %d %s", status, body)
	}

	// Not UTF-8: refused with where, never stored with U+FFFD instead.
	bad := []byte(`{"type":"name_change","subject":"079190000001","effective_date":"2026-01-20","reason":"x","data":{"full_name":"Nguy`)
	bad = append(bad, 0xff, 0xfe)
	bad = append(bad, []byte(`n"}}`)...)
	if status, body := post(bytes.NewReader(bad), "application/json", false); status != http.StatusBadRequest || !strings.Contains(body, "not valid UTF-8") || !strings.Contains(body, fmt.Sprint(len(bad)-6)) {
		t.Errorf("invalid UTF-8: %d %s", status, body)
	}

	if after := events(); after != before {
		t.Errorf("the abuse wrote events:\nbefore %s\nafter %s", before, after)
	}

	// A flood from one address is shed with 429; the server keeps serving
	// the administrator (and, by the same limiter, other addresses). The
	// probes are not counted, so the flood asks for a page that is not
	// there.
	limited := 0
	for range 60 {
		if status, _, _ := get(t, s.base+"/no-such-page", ""); status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("60 requests at once from one address were all served; want the per-address limit to shed some")
	}
	if status, _, body := get(t, s.base+"/v1/events", token); status != http.StatusOK {
		t.Errorf("the administrator got %d during the flood: %s", status, body)
	}
	if status, _, _ := get(t, s.base+"/healthz", ""); status != http.StatusOK {
		t.Errorf("GET /healthz from the flooding address = %d, want 200 (probes are not limited)", status)
	}
}
