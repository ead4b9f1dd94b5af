package main

import (
	"image"
	"image/color"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// decodeTerminalQR reads a QR code drawn with half blocks (light modules
// drawn, as terminalQR does) back with an independent decoder (ZXing's
// port): each character cell is two modules, each module scale pixels.
func decodeTerminalQR(t *testing.T, drawing string) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(ansiEscape.ReplaceAllString(drawing, ""), "\n"), "\n")
	const scale = 6
	width := len([]rune(lines[0]))
	img := image.NewGray(image.Rect(0, 0, width*scale, 2*len(lines)*scale))
	for row, line := range lines {
		cells := []rune(line)
		if len(cells) != width {
			t.Fatalf("line %d is %d cells wide, want %d", row, len(cells), width)
		}
		for x, c := range cells {
			var top, bottom bool // light?
			switch c {
			case '█':
				top, bottom = true, true
			case '▀':
				top = true
			case '▄':
				bottom = true
			case ' ':
			default:
				t.Fatalf("unexpected character %q in the QR code", c)
			}
			for half, lightHalf := range []bool{top, bottom} {
				v := color.Gray{}
				if lightHalf {
					v.Y = 0xff
				}
				y0 := (2*row + half) * scale
				for py := y0; py < y0+scale; py++ {
					for px := x * scale; px < (x+1)*scale; px++ {
						img.SetGray(px, py, v)
					}
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the terminal QR code: %v\n%s", err, drawing)
	}
	return res.GetText()
}

// The drawing decodes to the text, with and without the ANSI colours, and
// the plain one holds no escape code.
func TestTerminalQR(t *testing.T) {
	uri := "otpauth://totp/dancu:reg7?algorithm=SHA1&digits=6&issuer=dancu&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	for _, ansi := range []bool{false, true} {
		d, err := terminalQR(uri, ansi)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(d, "\x1b") != ansi {
			t.Errorf("ansi=%v: escape codes present = %v", ansi, !ansi)
		}
		if got := decodeTerminalQR(t, d); got != uri {
			t.Errorf("ansi=%v: decodes to %q, want %q", ansi, got, uri)
		}
	}
}

// qrOf cuts the QR code out of dancu staff's output: the lines after the
// "scan this" line, up to the first empty one after the drawing.
func qrOf(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "scan this with the authenticator app:\n\n")
	if !ok {
		t.Fatalf("no QR code in the output:\n%s", out)
	}
	drawing, _, _ := strings.Cut(rest, "\n\n")
	return drawing
}

// enrolmentURIOf returns the enrolment URI line's value.
func enrolmentURIOf(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`Enrolment URI: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no enrolment URI in the output:\n%s", out)
	}
	return m[1]
}
