package main

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// terminalQR draws a QR code of text for a terminal, two modules per
// character cell with the Unicode half blocks, so that a phone can scan a
// staff account's TOTP enrolment off the screen instead of having the key
// typed in. The blocks draw the light modules (as qrencode -t UTF8 does):
// terminals mostly draw light text on a dark background, and the code's
// quiet zone must be light. With ansi, the code is framed in explicit
// colours (white on black) so that it scans on a light-background terminal
// too; without (stdout is a file or a pipe), no escape codes get into it.
func terminalQR(text string, ansi bool) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	modules := q.Bitmap() // true = dark, with the 4-module quiet zone
	light := func(y, x int) bool { return y >= len(modules) || !modules[y][x] }
	var b strings.Builder
	for y := 0; y < len(modules); y += 2 {
		if ansi {
			b.WriteString("\x1b[40;97m")
		}
		for x := range modules[y] {
			top, bottom := light(y, x), light(y+1, x)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		if ansi {
			b.WriteString("\x1b[0m")
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
