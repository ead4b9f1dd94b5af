package cputime

import (
	"runtime"
	"testing"
	"time"
)

func TestProcess_grows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("not measured here")
	}
	before := Process()
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if after := Process(); after <= before {
		t.Errorf("CPU time %v after a busy loop, %v before", after, before)
	}
}
