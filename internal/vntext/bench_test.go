package vntext

import "testing"

// benchNames are typical inputs of a bulk matching job.
var benchNames = []struct{ name, in string }{
	{"key", "nguyen thi thuy"},
	{"ascii", "Nguyen Thi Thuy"},
	{"vietnamese", "Nguyễn Thị Thuỷ"},
	{"vietnamese_caps", "NGUYỄN THỊ THỦY"},
	{"nfd", "Nguye\u0302\u0303n Thi\u0323 Thu\u0309y"},
	{"long", "Công Tằng Tôn Nữ Thị Hồng Hạnh"},
}

var sink string

func BenchmarkKey(b *testing.B) {
	for _, bn := range benchNames {
		b.Run(bn.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Key(bn.in)
			}
		})
	}
}

func BenchmarkFold(b *testing.B) {
	for _, bn := range benchNames {
		b.Run(bn.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Fold(bn.in)
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, bn := range benchNames {
		b.Run(bn.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Normalize(bn.in)
			}
		})
	}
}

func BenchmarkHasDiacritics(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = HasDiacritics("Nguyen Thi Thuỷ")
	}
}

func BenchmarkSplitName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SplitName("Nguyễn Thị Thuỷ")
	}
}

func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Compare("Nguyễn Thị Thuỷ", "Nguyễn Thị Thúy")
	}
}

func BenchmarkSortKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SortKey("Nguyễn Thị Thuỷ")
	}
}

func BenchmarkCompareParallel(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = Compare("Nguyễn Thị Thuỷ", "Nguyễn Thị Thúy")
		}
	})
}
