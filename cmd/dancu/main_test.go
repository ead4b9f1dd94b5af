package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is an output stream that a running command writes to while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain_CommandLine(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		code         int
		stdout       []string
		stderr       []string
		wantNoStdout bool
	}{
		{"help", []string{"--help"}, 0, []string{"serve", "generate", "version", "dancu <command>"}, nil, false},
		{"short help", []string{"-h"}, 0, []string{"serve", "generate", "version"}, nil, false},
		{"help word", []string{"help"}, 0, []string{"serve", "generate", "version"}, nil, false},
		{"help for a command", []string{"help", "generate"}, 0, []string{"dancu generate --citizens N", "-seed S", "-workers W"}, nil, false},
		{"no command", nil, 2, nil, []string{"Commands:"}, true},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`, "Commands:"}, true},
		{"serve help", []string{"serve", "--help"}, 0, []string{"dancu serve [--addr HOST:PORT]", "-addr HOST:PORT", "-data DIR", "-db DSN", "-demo", "DANCU_ADDR"}, nil, false},
		{"generate help", []string{"generate", "-h"}, 0, []string{"-citizens N", "-data DIR", "-db DSN"}, nil, false},
		{"version help", []string{"version", "--help"}, 0, []string{"dancu version"}, nil, false},
		{"bad flag", []string{"serve", "--port", "80"}, 2, nil, []string{"flag provided but not defined: -port"}, true},
		{"stray argument", []string{"version", "extra"}, 2, nil, []string{`unexpected argument "extra"`}, true},
		{"generate without citizens", []string{"generate", "--data", "x"}, 2, nil, []string{"--citizens N is required"}, true},
		{"generate with data and db", []string{"generate", "--citizens", "5", "--data", "x", "--db", "sqlite:y"}, 2, nil, []string{"not both"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, &stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
			if tc.wantNoStdout && stdout.Len() > 0 {
				t.Errorf("stdout is not empty: %s", &stdout)
			}
		})
	}
}

func TestRunVersion(t *testing.T) {
	var stdout bytes.Buffer
	if err := runVersion(context.Background(), nil, &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dancu dev\n", "go go1."} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, &stdout)
		}
	}
}
