package statshttp

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// The charts are SVG written here, with presentation attributes rather
// than style attributes, so that the console's content security policy
// (no inline styles or scripts) holds.

const (
	colMale   = "#2b6cb0"
	colFemale = "#c05621"
)

var seriesColours = []string{"#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f"}

func esc(s string) string { return html.EscapeString(s) }

// pyramid draws the population pyramid: one bar per age group and sex,
// males left, females right, oldest at the top.
func pyramid(groups []string, male, female []int64) template.HTML {
	const w, rowH, mid, lab = 640, 16, 320, 44
	h := rowH*len(groups) + 30
	var peak int64 = 1
	for i := range groups {
		peak = max(peak, male[i], female[i])
	}
	scale := float64(mid-lab/2-10) / float64(peak)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="Population pyramid">`, w, h, w, h)
	for i := range groups {
		g := len(groups) - 1 - i
		y := i*rowH + 4
		mw, fw := float64(male[g])*scale, float64(female[g])*scale
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s male: %d</title></rect>`,
			float64(mid-lab/2)-mw, y, mw, rowH-2, colMale, esc(groups[g]), male[g])
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s female: %d</title></rect>`,
			mid+lab/2, y, fw, rowH-2, colFemale, esc(groups[g]), female[g])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle">%s</text>`, mid, y+rowH-5, esc(groups[g]))
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11" fill="%s">Nam / male</text>`, h-6, colMale)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="%s">Nữ / female</text>`, w-10, h-6, colFemale)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// bars draws labelled horizontal bars, stacked by series.
func bars(labels []string, series []string, values [][]int64) template.HTML {
	const w, rowH, lab = 640, 18, 150
	h := rowH*len(labels) + 24
	var peak int64 = 1
	for i := range labels {
		var s int64
		for j := range series {
			s += values[j][i]
		}
		peak = max(peak, s)
	}
	scale := float64(w-lab-70) / float64(peak)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, w, h, w, h)
	for i, l := range labels {
		y := i*rowH + 2
		x := float64(lab)
		var total int64
		for j, s := range series {
			bw := float64(values[j][i]) * scale
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s, %s: %d</title></rect>`,
				x, y, bw, rowH-4, seriesColours[j%len(seriesColours)], esc(l), esc(s), values[j][i])
			x += bw
			total += values[j][i]
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>`, lab-4, y+rowH-7, esc(l))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10">%d</text>`, x+4, y+rowH-7, total)
	}
	legend(&b, series, h-8)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func legend(b *strings.Builder, series []string, y int) {
	x := 150
	if len(series) < 2 {
		return
	}
	for j, s := range series {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`,
			x, y-9, seriesColours[j%len(seriesColours)], x+14, y, esc(s))
		x += 20 + 8*len(s)
	}
}

// lines draws one line per series over the x labels (months).
func lines(xs []string, series []string, values [][]int64) template.HTML {
	const w, h, left, bottom = 640, 240, 50, 40
	var peak int64 = 1
	for _, v := range values {
		for _, x := range v {
			peak = max(peak, x)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, w, h, w, h)
	ph := float64(h - bottom - 10)
	pw := float64(w - left - 10)
	fmt.Fprintf(&b, `<line x1="%d" y1="10" x2="%d" y2="%d" stroke="#999"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`,
		left, left, h-bottom, left, h-bottom, w-10, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="16" font-size="10" text-anchor="end">%d</text>`, left-4, peak)
	step := pw / float64(max(len(xs)-1, 1))
	for i, x := range xs {
		if len(xs) <= 13 || i%3 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="9" text-anchor="middle">%s</text>`, float64(left)+float64(i)*step, h-bottom+14, esc(x))
		}
	}
	for j, s := range series {
		var pts []string
		for i := range xs {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(left)+float64(i)*step, 10+ph-ph*float64(values[j][i])/float64(peak)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" stroke="%s" points="%s"><title>%s</title></polyline>`,
			seriesColours[j%len(seriesColours)], strings.Join(pts, " "), esc(s))
	}
	legend(&b, series, h-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
