package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strconv"
	"testing"
)

// TestBench drives a real server with every operation for two seconds and
// checks that each ran and none failed.
func TestBench(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"generate", "--citizens", "400", "--seed", "9", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("generate: %d\n%s", code, errOut.String())
	}
	// A fixed port, so that the server's token endpoint URL (its issuer) is
	// known before it starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "bench-test-admin-token-0123456789"
	s := startServe(t, []string{"--addr", addr, "--data", dir}, map[string]string{"DANCU_ADMIN_TOKEN": token})

	out.Reset()
	errOut.Reset()
	code := Main(ctx, []string{"bench", "--url", s.base, "--issuer", "http://" + addr, "--token", token,
		"--duration", "2s", "--connections", "4", "--people", "150",
		"--mix", "lookup=4,batch=1,read=2,search=2,event=2"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, op := range []string{"lookup", "batch", "read", "search", "event"} {
		m := regexp.MustCompile(`(?m)^\s*` + op + `\s+(\d+)\s`).FindStringSubmatch(out.String())
		if m == nil {
			t.Errorf("no %s row in the report:\n%s", op, out.String())
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n == 0 {
			t.Errorf("%s ran 0 times", op)
		}
	}
	if code := Main(ctx, []string{"bench", "--url", s.base, "--token", token, "--mix", "lookup=1,fly=2"}, &out, &errOut); code != 2 {
		t.Errorf("an unknown operation: exit %d, want 2", code)
	}
	t.Logf("report:\n%s", out.String())
}
