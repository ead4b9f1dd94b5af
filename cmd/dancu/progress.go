package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress shows how far a long run has got. On a terminal it redraws one
// line in place; anywhere else (a log file, CI) it writes a plain line
// every few seconds, since carriage returns would pile up there.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time
	start time.Time
	last  time.Time // of the last plain line
	drawn bool
}

func newProgress(w io.Writer, tty bool) *progress {
	p := &progress{w: w, tty: tty, every: 5 * time.Second, now: time.Now}
	p.start = p.now()
	p.last = p.start
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barWidth is the width of the terminal progress bar in characters.
const barWidth = 24

// update reports that done of total people are loaded.
func (p *progress) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	elapsed := now.Sub(p.start)
	var rate float64
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	eta := "?"
	switch {
	case done >= total:
		eta = "0s"
	case rate > 0:
		eta = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	pct := 0
	if total > 0 {
		pct = min(100, done*100/total)
	}
	if p.tty {
		filled := pct * barWidth / 100
		// \r returns to the start of the line; ESC[K clears what a longer
		// earlier line left behind.
		fmt.Fprintf(p.w, "\r[%s%s] %3d%%  %s/%s people  %s people/s  ETA %s\x1b[K",
			strings.Repeat("#", filled), strings.Repeat("-", barWidth-filled), pct,
			thousands(done), thousands(total), thousands(int(rate)), eta)
		p.drawn = true
		return
	}
	if done < total && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "%s/%s people (%d%%), %s people/s, ETA %s\n",
		thousands(done), thousands(total), pct, thousands(int(rate)), eta)
}

// finish ends the redrawn line, so that what follows starts on its own.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// thousands formats n with comma separators: 100000 → "100,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
