package compare

import "github.com/dancu/dancu/internal/registry"

// Dates compares two dates of birth, either of which may be partial
// (registry.Date with only the year, or the year and month, known):
//
//   - Exact: both full and equal;
//   - Close: both full with day and month swapped (2 March written as
//     3 February), both full with one digit mistyped in the day or the
//     month, both partial and equal to the same precision with at least
//     the month known, or one partial (year and month) and consistent with
//     the other;
//   - Partial: the same year where one side knows only the year, or both
//     full in the same year with day and month otherwise different, or the
//     same month and day with the year one digit off;
//   - Different: anything else, including years that differ;
//   - Missing: either date unknown.
func Dates(a, b registry.Date) Level {
	switch {
	case a.IsZero() || b.IsZero():
		return Missing
	case a == b && a.IsFull():
		return Exact
	}
	if a.IsFull() && b.IsFull() {
		if a.Year == b.Year {
			switch {
			case a.Day == b.Month && a.Month == b.Day:
				return Close
			case a.Month == b.Month && oneDigitApart(a.Day, b.Day):
				return Close
			case a.Day == b.Day && oneDigitApart(a.Month, b.Month):
				return Close
			}
			return Partial
		}
		if a.Month == b.Month && a.Day == b.Day && oneDigitApart(a.Year, b.Year) {
			return Partial
		}
		return Different
	}
	if a.Year != b.Year {
		return Different
	}
	// At least one side is partial and the years agree.
	if a.Month != 0 && b.Month != 0 {
		if a.Month == b.Month {
			return Close
		}
		return Different
	}
	return Partial
}

// oneDigitApart reports whether x and y, written in decimal, differ in
// exactly one digit (a typing error): 12 and 13, 1985 and 1958 do not
// count (the latter is two digits), 7 and 17 do (a digit added).
func oneDigitApart(x, y int) bool {
	if x == y {
		return false
	}
	diff := 0
	for x > 0 || y > 0 {
		if x%10 != y%10 {
			diff++
		}
		x, y = x/10, y/10
	}
	return diff == 1
}

// DateSimilarity returns the 0–100 similarity of two dates of birth: 100
// Exact, 85 Close, 50 Partial, 0 otherwise.
func DateSimilarity(a, b registry.Date) int {
	switch Dates(a, b) {
	case Exact:
		return 100
	case Close:
		return 85
	case Partial:
		return 50
	}
	return 0
}
