package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestStaffCmd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noEnv := func(string) (string, bool) { return "", false }
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := staffCmd(ctx, append(args, "--data", dir), &out, &errOut, noEnv)
		return out.String() + errOut.String(), err
	}
	out, err := run("add", "--username", "Reg7", "--name", "Lê Thị Hộ", "--role", "registrar", "--scope", "79,01:00004")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	for _, want := range []string{"Account reg7", "One-time password", "otpauth://totp/dancu:reg7?", "Authenticator key"} {
		if !strings.Contains(out, want) {
			t.Errorf("add output lacks %q:\n%s", want, out)
		}
	}
	// The QR code printed is the enrolment URI printed, for the
	// authenticator app to scan.
	if got, want := decodeTerminalQR(t, qrOf(t, out)), enrolmentURIOf(t, out); got != want {
		t.Errorf("the QR code reads %q, want the enrolment URI %q", got, want)
	}
	out, err = run("list")
	if err != nil || !strings.Contains(out, "reg7") || !strings.Contains(out, "01:00004,79") || !strings.Contains(out, "new password pending") {
		t.Errorf("list: %v\n%s", err, out)
	}
	if out, err := run("disable", "--username", "reg7"); err != nil || !strings.Contains(out, "disabled") {
		t.Errorf("disable: %v\n%s", err, out)
	}
	if out, _ := run("list"); !strings.Contains(out, "disabled") {
		t.Errorf("list after disable:\n%s", out)
	}
	out, err = run("reset", "--username", "reg7")
	if err != nil || !strings.Contains(out, "One-time password") {
		t.Errorf("reset: %v\n%s", err, out)
	} else if got, want := decodeTerminalQR(t, qrOf(t, out)), enrolmentURIOf(t, out); got != want {
		t.Errorf("reset: the QR code reads %q, want %q", got, want)
	}
	for name, args := range map[string][]string{
		"taken":           {"add", "--username", "reg7", "--name", "X", "--role", "auditor"},
		"bad scope":       {"add", "--username", "reg9", "--name", "X", "--role", "registrar", "--scope", "99"},
		"no scope":        {"add", "--username", "reg9", "--name", "X", "--role", "registrar"},
		"unknown role":    {"add", "--username", "reg9", "--name", "X", "--role", "root"},
		"no username":     {"reset"},
		"unknown account": {"reset", "--username", "nobody"},
		"unknown command": {"promote", "--username", "reg7"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
