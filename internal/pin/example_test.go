package pin_test

import (
	"fmt"

	"github.com/dancu/dancu/internal/pin"
)

func ExampleParse() {
	p, err := pin.Parse("079085001234")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ProvinceCode(), p.BirthYear(), p.Sex(), p.Serial())

	_, err = pin.Parse("003085001234")
	fmt.Println(err)
	// Output:
	// 079 1985 male 1234
	// pin: province code not in the pre-2025 list
}

func ExampleCheck() {
	p := pin.MustParse("079085001234")
	fmt.Println(pin.Check(p, 1985, pin.Male, "079"))
	fmt.Println(pin.Check(p, 1985, pin.Female, ""))
	// Output:
	// <nil>
	// pin: sex: does not match the century digit
}

func ExamplePrefixFor2025() {
	// A birth registered in 2026 in the merged Ho Chi Minh City gets the old
	// city's prefix; Bà Rịa–Vũng Tàu's old code 77 is not a 2025 code.
	fmt.Println(pin.PrefixFor2025("79"))
	fmt.Println(pin.PrefixFor2025("77"))
	// Output:
	// 079 true
	//  false
}
