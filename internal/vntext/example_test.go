package vntext_test

import (
	"fmt"
	"slices"

	"github.com/dancu/dancu/internal/vntext"
)

func ExampleKey() {
	for _, s := range []string{"Nguyễn Thị Thuỷ", "NGUYỄN THỊ THỦY", "Nguyen  Thi Thuy", "H’Hen Niê"} {
		fmt.Println(vntext.Key(s))
	}
	// Output:
	// nguyen thi thuy
	// nguyen thi thuy
	// nguyen thi thuy
	// hhen nie
}

func ExampleFold() {
	fmt.Println(vntext.Fold("Hòa") == vntext.Fold("Hoà"))
	fmt.Println(vntext.Fold("Hòa") == vntext.Fold("Hoa"))
	fmt.Println(vntext.Fold("Thủy"), vntext.Fold("qúy"))
	// Output:
	// true
	// false
	// thuỷ quý
}

// Example_search shows the search rule: Key must match, and Fold too when
// the query was typed with diacritics.
func Example_search() {
	stored := "Nguyễn Thị Thủy"
	for _, q := range []string{"nguyen thi thuy", "Nguyễn Thị Thuỷ", "Nguyễn Thị Thúy"} {
		match := vntext.Key(q) == vntext.Key(stored) &&
			(!vntext.HasDiacritics(q) || vntext.Fold(q) == vntext.Fold(stored))
		fmt.Println(q, match)
	}
	// Output:
	// nguyen thi thuy true
	// Nguyễn Thị Thuỷ true
	// Nguyễn Thị Thúy false
}

func ExampleSplitName() {
	fmt.Printf("%+v\n", vntext.SplitName("Tôn Nữ Thị Ninh"))
	fmt.Printf("%+v\n", vntext.SplitName("H'Hen Niê"))
	// Output:
	// {Surname:Tôn Nữ Middle:Thị Given:Ninh}
	// {Surname:Niê Middle: Given:H'Hen}
}

func ExampleCompare() {
	names := []string{"Đào", "Dương", "Ân", "Anh", "Ăn"}
	slices.SortFunc(names, vntext.Compare)
	fmt.Println(names)
	// Output:
	// [Anh Ăn Ân Dương Đào]
}
