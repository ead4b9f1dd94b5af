package units_test

import (
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/units"
)

func ExampleLookupProvince() {
	// Code 77 was Bà Rịa–Vũng Tàu until the 2025 reform merged it into Hồ Chí
	// Minh City, so a code must always be read at a date.
	for _, at := range []time.Time{
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		p, ok := units.LookupProvince("77", at)
		fmt.Println(at.Year(), p.Name, ok)
	}
	s, _ := units.Successor("77")
	fmt.Println(s.Code, s.Name)
	// Output:
	// 2020 Tỉnh Bà Rịa - Vũng Tàu true
	// 2026  false
	// 79 Thành phố Hồ Chí Minh
}
