package pin

import (
	crand "crypto/rand"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"strconv"
)

// Sex is the sex encoded in a PIN's century digit. The zero value means unknown
// and is never encoded in a valid PIN.
type Sex uint8

// The sexes a PIN can encode. They start at 1 so that the zero value is not
// mistaken for a real sex.
const (
	Male Sex = iota + 1
	Female
)

// String returns "male" or "female", the spelling the API uses for the sex field,
// or "Sex(n)" for a value that is neither.
func (s Sex) String() string {
	switch s {
	case Male:
		return "male"
	case Female:
		return "female"
	}
	return "Sex(" + strconv.Itoa(int(s)) + ")"
}

// Limits of the encoding. The century digit covers five centuries starting in
// 1900; the serial has six digits.
const (
	MinBirthYear = 1900   // MinBirthYear is the earliest birth year a PIN can encode.
	MaxBirthYear = 2399   // MaxBirthYear is the latest birth year a PIN can encode.
	MaxSerial    = 999999 // MaxSerial is the largest value of the six random digits.
)

// Place values of the parts within the 12-digit number.
const (
	provinceUnit = 1_000_000_000
	centuryUnit  = 100_000_000
	yearUnit     = 1_000_000
)

// PIN is a valid personal identification number. It is a small comparable value,
// usable as a map key; the zero value is not a valid number and reports IsZero.
//
// The number is kept as an integer rather than a string so that Parse does not
// allocate and a PIN does not pin the memory of the buffer it was parsed from.
// No valid PIN is 0, because the province prefix 000 does not exist.
type PIN struct {
	v uint64
}

// Parse parses a PIN written as exactly 12 ASCII digits with a known province
// prefix. Spaces, separators and non-ASCII digits are rejected rather than
// cleaned up, because a PIN that needs cleaning should be fixed at its source.
// Every century digit is valid, so any birth year from 1900 to 2399 parses.
// Errors are of type *Error with Field "pin".
func Parse(s string) (PIN, error) {
	if len(s) != 12 {
		return PIN{}, errorf(fieldPIN, "must be exactly 12 digits")
	}
	n, ok := digits(s)
	if !ok {
		return PIN{}, errorf(fieldPIN, "must contain only the ASCII digits 0-9")
	}
	if provinces.byCode[n/provinceUnit] == 0 {
		return PIN{}, errorf(fieldPIN, "province code not in the pre-2025 list")
	}
	return PIN{v: n}, nil
}

// MustParse is like Parse but panics on error. It is meant for tests and
// examples with literal numbers, never for input.
func MustParse(s string) PIN {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// New builds the PIN with the given parts. provinceCode is the three-digit
// pre-2025 code (see PrefixFor2025 for births registered after the merger),
// birthYear must be between MinBirthYear and MaxBirthYear, and serial between 0
// and MaxSerial. Errors are of type *Error naming the argument at fault.
func New(provinceCode string, birthYear int, sex Sex, serial int) (PIN, error) {
	if serial < 0 || serial > MaxSerial {
		return PIN{}, errorf(fieldSerial, "must be between 0 and 999999")
	}
	return build(provinceCode, birthYear, sex, uint64(serial))
}

// Random builds a PIN with the given parts and a random serial. It uses r when it
// is not nil, which makes synthetic populations reproducible from a seed; with a
// nil r the serial comes from crypto/rand, so that real numbers cannot be
// predicted from earlier ones. The result is only a candidate: the caller must
// still make sure the number has not been issued.
func Random(provinceCode string, birthYear int, sex Sex, r *rand.Rand) (PIN, error) {
	if r == nil {
		r = cryptoRand
	}
	return build(provinceCode, birthYear, sex, uint64(r.IntN(MaxSerial+1)))
}

// cryptoRand draws from crypto/rand. A rand.Rand keeps no state besides its
// source and cryptoSource has none, so one value is safe for concurrent use.
var cryptoRand = rand.New(cryptoSource{})

// cryptoSource adapts crypto/rand to rand.Source, so that rand.Rand's unbiased
// IntN can be used with a cryptographic source.
type cryptoSource struct{}

// Uint64 returns 64 bits from crypto/rand, which never fails since Go 1.24.
func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func build(provinceCode string, birthYear int, sex Sex, serial uint64) (PIN, error) {
	i, ok := provinces.lookup(provinceCode)
	if !ok {
		return PIN{}, errorf(fieldProvince, "province code not in the pre-2025 list")
	}
	if birthYear < MinBirthYear || birthYear > MaxBirthYear {
		return PIN{}, errorf(fieldBirthYear, "must be between 1900 and 2399")
	}
	if sex != Male && sex != Female {
		return PIN{}, errorf(fieldSex, "must be male or female")
	}
	prefix, _ := digits(provinces.list[i].Code)
	g := uint64(birthYear-MinBirthYear) / 100 * 2
	if sex == Female {
		g++
	}
	yy := uint64(birthYear % 100)
	return PIN{v: prefix*provinceUnit + g*centuryUnit + yy*yearUnit + serial}, nil
}

// String returns the 12 digits, or "" for the zero PIN.
func (p PIN) String() string {
	if p.v == 0 {
		return ""
	}
	d := p.digits()
	return string(d[:])
}

func (p PIN) digits() [12]byte {
	var d [12]byte
	v := p.v
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return d
}

// IsZero reports whether p is the zero PIN, which stands for "no number" (for
// example a person whose number has not been issued yet). It also makes the
// json "omitzero" option work.
func (p PIN) IsZero() bool { return p.v == 0 }

// ProvinceCode returns the three-digit pre-2025 code of the province where the
// birth was registered, such as "079", or "" for the zero PIN.
func (p PIN) ProvinceCode() string { return provinces.code[p.v/provinceUnit] }

// Sex returns the sex encoded in the century digit, or 0 for the zero PIN.
func (p PIN) Sex() Sex {
	if p.v == 0 {
		return 0
	}
	if p.century()%2 == 0 {
		return Male
	}
	return Female
}

// BirthYear returns the full birth year from the century digit and the two year
// digits, or 0 for the zero PIN.
func (p PIN) BirthYear() int {
	if p.v == 0 {
		return 0
	}
	return MinBirthYear + p.century()/2*100 + int(p.v/yearUnit%100)
}

// Serial returns the six random digits as a number.
func (p PIN) Serial() int { return int(p.v % yearUnit) }

func (p PIN) century() int { return int(p.v / centuryUnit % 10) }

// MarshalText returns the 12 digits, or empty text for the zero PIN, so that a
// PIN is a JSON string and an absent number round-trips as "".
func (p PIN) MarshalText() ([]byte, error) {
	return p.AppendText(nil)
}

// AppendText appends the 12 digits to b, or nothing for the zero PIN.
func (p PIN) AppendText(b []byte) ([]byte, error) {
	if p.v == 0 {
		return b, nil
	}
	d := p.digits()
	return append(b, d[:]...), nil
}

// UnmarshalText parses text with Parse. Empty text gives the zero PIN, mirroring
// MarshalText; callers that require a number check IsZero.
func (p *PIN) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*p = PIN{}
		return nil
	}
	q, err := Parse(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// LogValue keeps PINs out of logs (see the logging rule in DESIGN.md): a PIN
// passed to log/slog is written as a placeholder. Log a record id instead.
func (p PIN) LogValue() slog.Value {
	if p.v == 0 {
		return slog.StringValue("")
	}
	return slog.StringValue("[redacted pin]")
}

// Check reports whether p agrees with a person's birth year, sex and the pre-2025
// province code of the place where the birth was registered. An empty
// provinceCode skips the province check, for records that do not know where the
// birth was registered. It returns nil on agreement, or an *Error whose Field
// names the first disagreeing part in the order "birth_year", "sex", "province"
// (or "pin" for the zero PIN).
func Check(p PIN, birthYear int, sex Sex, provinceCode string) error {
	if p.v == 0 {
		return errorf(fieldPIN, "no number")
	}
	if p.BirthYear() != birthYear {
		return errorf(fieldBirthYear, "does not match the century and year digits")
	}
	if p.Sex() != sex {
		return errorf(fieldSex, "does not match the century digit")
	}
	if provinceCode != "" && p.ProvinceCode() != provinceCode {
		return errorf(fieldProvince, "does not match the province prefix")
	}
	return nil
}
