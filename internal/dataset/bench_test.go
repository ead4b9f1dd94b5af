package dataset

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkUpload measures a bulk upload of new records, lines per second,
// on each available store, with the people already on the registry.
func BenchmarkUpload(b *testing.B) {
	const people = 200_000
	var buf bytes.Buffer
	for i := range people {
		buf.WriteString(siLine(i, "active"))
		buf.WriteByte('\n')
	}
	// Round 0 inserts; then the rounds alternate the status of every record,
	// so that every line is written.
	bodies := [][]byte{buf.Bytes(), bytes.ReplaceAll(buf.Bytes(), []byte(`"status":"active"`), []byte(`"status":"suspended"`))}
	for name, st := range backends(b) {
		loadPeople(b, st, people)
		svc, d := newService(b, st, nil)
		round := 0
		b.Run(name, func(b *testing.B) {
			for range b.N {
				body := bodies[round%2]
				round++
				sum, err := svc.Upload(context.Background(), d, "vss", bytes.NewReader(body), nil)
				if err != nil || sum.Rejected != 0 {
					b.Fatalf("%+v %v", sum, err)
				}
			}
			b.ReportMetric(float64(b.N*people)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
