package compare

// Level is how far two values agree, the agreement pattern of one field in
// the Fellegi–Sunter model. Levels are ordered: a higher level is stronger
// agreement, and Missing (no evidence) is the lowest.
type Level int8

// The levels, weakest first. NumLevels is the number of levels, for arrays
// indexed by Level.
const (
	Missing Level = iota
	Different
	Partial
	Close
	Exact
	NumLevels = 5
)

var levelNames = [NumLevels]string{"missing", "different", "partial", "close", "exact"}

// String returns the level's name in lower case ("exact").
func (l Level) String() string {
	if l < 0 || int(l) >= NumLevels {
		return "invalid"
	}
	return levelNames[l]
}

// ParseLevel returns the Level named s, as String writes it.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Similarity is the default 0–100 figure for a level, used by comparators
// that have no finer measure: Exact 100, Close 90, Partial 60, Different
// and Missing 0.
func (l Level) Similarity() int {
	switch l {
	case Exact:
		return 100
	case Close:
		return 90
	case Partial:
		return 60
	}
	return 0
}
