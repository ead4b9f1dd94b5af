package compare

import (
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

func BenchmarkNames(b *testing.B) {
	x, y := ParseName("Nguyễn Thị Hồng Nhung"), ParseName("Nguyen Thi Hong Nhugn")
	b.ReportAllocs()
	for b.Loop() {
		Names(x, y)
	}
}

func BenchmarkParseName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParseName("Nguyễn Thị Hồng Nhung")
	}
}

func BenchmarkScore(b *testing.B) {
	claim := Attributes{FullName: "Nguyen Thi Thuy", BirthDate: registry.MustParseDate("1985-02-03"), Sex: registry.Female, Phone: "0912345678"}
	rec := Attributes{FullName: "Nguyễn Thị Thủy", BirthDate: registry.MustParseDate("1985-03-02"), Sex: registry.Female, Phone: "+84912345678"}
	b.ReportAllocs()
	for b.Loop() {
		Score(claim, rec)
	}
}
