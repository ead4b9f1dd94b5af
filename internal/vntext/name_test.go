package vntext

import "testing"

func TestSplitName(t *testing.T) {
	tests := []struct {
		in   string
		want NameParts
	}{
		{"", NameParts{}},
		{"   ", NameParts{}},
		{"An", NameParts{Given: "An"}},
		{"H'Hen", NameParts{Given: "H'Hen"}},
		{"Lê Tám", NameParts{Surname: "Lê", Given: "Tám"}},
		{"Nguyễn Văn An", NameParts{Surname: "Nguyễn", Middle: "Văn", Given: "An"}},
		{"Nguyễn Thị Minh Khai", NameParts{Surname: "Nguyễn", Middle: "Thị Minh", Given: "Khai"}},
		{"  nguyễn\u00A0 văn   an ", NameParts{Surname: "nguyễn", Middle: "văn", Given: "an"}},
		{"Nguye\u0302\u0303n Va\u0306n An", NameParts{Surname: "Nguyễn", Middle: "Văn", Given: "An"}},
		{"Tôn Thất Thuyết", NameParts{Surname: "Tôn Thất", Given: "Thuyết"}},
		{"Tôn Thất Tùng", NameParts{Surname: "Tôn Thất", Given: "Tùng"}},
		{"Rơ Châm Ớt", NameParts{Surname: "Rơ Châm", Given: "Ớt"}},
		{"Rơ Mah Thị Hoa", NameParts{Surname: "Rơ Mah", Middle: "Thị", Given: "Hoa"}},
		{"TÔN THẤT TÙNG", NameParts{Surname: "TÔN THẤT", Given: "TÙNG"}},
		{"Ton That Tung", NameParts{Surname: "Ton That", Given: "Tung"}},
		{"Tôn Nữ Thị Ninh", NameParts{Surname: "Tôn Nữ", Middle: "Thị", Given: "Ninh"}},
		{"Tôn Đức Thắng", NameParts{Surname: "Tôn", Middle: "Đức", Given: "Thắng"}},
		{"Tồn Thất An", NameParts{Surname: "Tồn", Middle: "Thất", Given: "An"}},
		{"Công Tằng Tôn Nữ Thị Hạnh", NameParts{Surname: "Công Tằng Tôn Nữ", Middle: "Thị", Given: "Hạnh"}},
		{"Công Huyền Tôn Nữ Hoàng Anh", NameParts{Surname: "Công Huyền Tôn Nữ", Middle: "Hoàng", Given: "Anh"}},
		{"Nguyễn Phúc Bảo Long", NameParts{Surname: "Nguyễn Phúc", Middle: "Bảo", Given: "Long"}},
		{"Nguyễn Phúc", NameParts{Surname: "Nguyễn", Given: "Phúc"}},
		{"Nguyễn Phục An", NameParts{Surname: "Nguyễn", Middle: "Phục", Given: "An"}},
		{"Âu Dương Phong", NameParts{Surname: "Âu Dương", Given: "Phong"}},
		{"Âu Cơ", NameParts{Surname: "Âu", Given: "Cơ"}},
		{"Tôn Nữ", NameParts{Surname: "Tôn", Given: "Nữ"}},
		// Ê Đê order: family name last.
		{"H'Hen Niê", NameParts{Surname: "Niê", Given: "H'Hen"}},
		{"H’Hen Niê", NameParts{Surname: "Niê", Given: "H'Hen"}},
		{"h'hen nie", NameParts{Surname: "nie", Given: "h'hen"}},
		{"Y Moan Ênuôl", NameParts{Surname: "Ênuôl", Given: "Y Moan"}},
		{"Y Ngông Niê Kdăm", NameParts{Surname: "Niê Kdăm", Given: "Y Ngông"}},
		{"H'Yim Niê Kdăm", NameParts{Surname: "Niê Kdăm", Given: "H'Yim"}},
		{"Y Moan", NameParts{Given: "Y Moan"}},
		{"Y-Moan Ênuôl", NameParts{Surname: "Ênuôl", Given: "Y-Moan"}},
		{"Yên Thế An", NameParts{Surname: "Yên", Middle: "Thế", Given: "An"}},
		{"Ý Lan Anh", NameParts{Surname: "Ý", Middle: "Lan", Given: "Anh"}},
		// Jarai names put the family name first, H' prefix later.
		{"Ksor H'Bơ Khăp", NameParts{Surname: "Ksor", Middle: "H'Bơ", Given: "Khăp"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SplitName(tt.in); got != tt.want {
				t.Errorf("SplitName(%+q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitName_keepsEveryWord(t *testing.T) {
	for _, s := range corpus(t) {
		p := SplitName(s)
		joined := p.Surname + " " + p.Middle + " " + p.Given
		if p.Middle == "" && p.Surname != "" && Key(s) != Key(joined) {
			// surname-last order
			joined = p.Given + " " + p.Surname
		}
		if Key(joined) != Key(s) {
			t.Errorf("SplitName(%+q) = %+v loses or reorders words", s, p)
		}
	}
}
