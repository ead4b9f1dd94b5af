package credential

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var (
	reViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	rePath    = regexp.MustCompile(`<path fill="#000" d="([^"]*)"/>`)
	reRun     = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// rasterize draws the SVG's path as the browser would, scale pixels per
// module, for an independent decoder to read.
func rasterize(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	vb := reViewBox.FindStringSubmatch(svg)
	p := rePath.FindStringSubmatch(svg)
	if vb == nil || p == nil || vb[1] != vb[2] {
		t.Fatalf("not the SVG expected: %.200s", svg)
	}
	n, _ := strconv.Atoi(vb[1])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d := p[1]
	for d != "" {
		m := reRun.FindStringSubmatch(d)
		if m == nil || m[3] != m[4] {
			t.Fatalf("unexpected path data at %.40q", d)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
		d = d[len(m[0]):]
	}
	return img
}

// The QR code an enrolment page shows decodes, with an independent reader
// (ZXing's port), to the enrolment's otpauth URI.
func TestEnrolment_QRCode(t *testing.T) {
	for _, e := range []Enrolment{
		NewEnrolment("dancu", "079090000123", NewTOTPSecret()),
		NewEnrolment("Định danh điện tử VN", "Nguyễn Văn An (079090000123)", NewTOTPSecret()),
	} {
		svg, err := e.QRCode()
		if err != nil {
			t.Fatal(err)
		}
		s := string(svg)
		if !strings.HasPrefix(s, "<svg ") || strings.Contains(s, "<script") || strings.Contains(s, "style=") || strings.Contains(s, e.Secret) {
			t.Fatalf("SVG is not plain geometry: %.200s", s)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(rasterize(t, s, 8))
		if err != nil {
			t.Fatal(err)
		}
		res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got := res.GetText(); got != e.URI {
			t.Errorf("QR code reads %q, want %q", got, e.URI)
		}
	}
}
