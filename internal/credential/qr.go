package credential

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRCode renders the enrolment's otpauth URI as a QR code, an SVG element
// to put inline in a page: authenticator apps scan it instead of having
// the secret typed in. It is drawn on the server from the code's modules
// (one path of unit squares, the 4-module quiet zone included), so the
// page needs no script, no image request and no data: URL, which the
// pages' Content-Security-Policy forbids. The SVG carries no text of the
// URI, only geometry, so it is safe to put into HTML as is.
func (e Enrolment) QRCode() (template.HTML, error) {
	q, err := qrcode.New(e.URI, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("credential: QR code: %w", err)
	}
	return template.HTML(svgOf(q.Bitmap())), nil
}

// svgOf draws modules (true = dark) as one path, a run of dark modules in
// a row at a time.
func svgOf(modules [][]bool) string {
	n := len(modules)
	var d strings.Builder
	for y, row := range modules {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" aria-hidden="true">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, n, n, 5*n, 5*n, n, n, d.String())
}
