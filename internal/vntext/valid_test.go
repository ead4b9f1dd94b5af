package vntext

import (
	"errors"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"ordinary", "Nguyễn Văn An", nil},
		{"compound surname", "Công Tằng Tôn Nữ Thị Hạnh", nil},
		{"apostrophe", "H'Hen Niê", nil},
		{"curly apostrophe", "H’Hen Niê", nil},
		{"hyphen", "Y-Moan Ênuôl", nil},
		{"dot", "Nguyễn V. An", nil},
		{"nfd", "Nguye\u0302\u0303n", nil},
		{"nbsp and tabs become spaces", "Nguyễn\u00A0Văn\tAn", nil},
		{"Ê Đê letter with two marks", "Ê\u0306a", nil},
		{"other latin letters", "Søren Müller", nil},
		{"exactly 100", strings.Repeat("a", 100), nil},
		{"100 after collapsing spaces", "  " + strings.Repeat("ă", 100) + "  ", nil},
		{"empty", "", ErrNameEmpty},
		{"only spaces", " \t\u00A0", ErrNameEmpty},
		{"too long", strings.Repeat("a", 101), ErrNameTooLong},
		{"ascii digit", "Nguyễn Văn 2", ErrNameDigit},
		{"other digit", "Nguyễn ٣", ErrNameDigit},
		{"control", "Nguyễn\x00An", ErrNameControl},
		{"c1 control", "Nguyễn\u0085", nil}, // NEL is white space
		{"escape", "Nguyễn\x1b[0m", ErrNameControl},
		{"invalid utf8", "Nguy\xffn", ErrNameEncoding},
		{"other script", "Ολγα", ErrNameCharacter},
		{"han", "阮", ErrNameCharacter},
		{"symbol", "An@", ErrNameCharacter},
		{"comma", "Nguyễn, An", ErrNameCharacter},
		{"emoji", "An 😀", ErrNameCharacter},
		{"right to left mark", "An\u200F", ErrNameCharacter},
		{"leading combining mark", "\u0301An", ErrNameCharacter},
		{"only punctuation", "'-.", ErrNameNoLetter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidName(tt.in); !errors.Is(got, tt.want) {
				t.Errorf("ValidName(%+q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidName_errorNeverEchoesName(t *testing.T) {
	for _, in := range []string{"Nguyễn 2", "An@home", "Zzqx\x00", strings.Repeat("Xyz", 50)} {
		err := ValidName(in)
		if err == nil {
			t.Fatalf("ValidName(%q) = nil, want an error", in)
		}
		for _, w := range strings.Fields(in) {
			if len(w) > 2 && strings.Contains(err.Error(), w) {
				t.Errorf("ValidName(%q) = %q echoes the name", in, err)
			}
		}
	}
}
