package synth

import (
	"testing"
)

// BenchmarkStages measures the CPU time per person of the two parallel
// stages separately: drawing a chunk's people and households, and replaying
// their history into store rows (mostly registry.PersonRow).
func BenchmarkStages(b *testing.B) {
	m, err := newModel((&Options{}).today())
	if err != nil {
		b.Fatal(err)
	}
	kinds := newAlias(kindWeights)
	b.Run("generate", func(b *testing.B) {
		c0 := cpuTime()
		n := 0
		for i := 0; b.Loop(); i++ {
			c := m.generate(1, i, i*ChunkSize, ChunkSize, &kinds)
			n += len(c.people)
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/person")
	})
	b.Run("encode", func(b *testing.B) {
		var spent int64
		n, v := 0, 0
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			c := m.generate(1, i, i*ChunkSize, ChunkSize, &kinds)
			a := newAllocator(1, ChunkSize)
			a.assign(c)
			c1 := cpuTime()
			b.StartTimer()
			if err := m.newEncoder(1, c).encode(); err != nil {
				b.Fatal(err)
			}
			spent += cpuTime() - c1
			n += len(c.people)
			v += len(c.batch.Persons)
		}
		b.ReportMetric(float64(v)/float64(n), "versions/person")
		b.ReportMetric(float64(spent)/float64(n), "cpu-ns/person")
	})
}
