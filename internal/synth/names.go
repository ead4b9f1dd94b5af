package synth

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The reference name lists, copied from the project's shared reference data.
var (
	//go:embed data/surnames.csv
	surnamesCSV string
	//go:embed data/given-names.csv
	givenNamesCSV string
)

// nameStyle is how a people composes names. Most minority peoples of the
// north use Kinh name order with surnames of their own; a few styles differ
// enough to need their own rules, and they give the registry the unusual
// names (apostrophes, surname last, one-word names) it must handle.
type nameStyle uint8

const (
	styleKinh   nameStyle = iota // Nguyễn Văn An: surname, middle, given
	styleList                    // Kinh order, the group's own surnames (Tày, Thái, Mường...)
	styleHoa                     // Lâm Gia Kiệt: Sino-Vietnamese middles and given names
	styleKhmer                   // Thạch Sô Phanh, Sơn Thị Sa Rênh
	styleMong                    // Giàng A Páo, Vàng Thị Mai
	styleEde                     // H'Hen Niê, Y Ngông Niê Kdăm: given first, surname last, from the mother
	styleJarai                   // Ksor H'Yun, Rơ Mah Hồng: surname first, from the mother
	styleBahnar                  // A Thút, Y Blơ: a gender word and a name, often no surname
	styleKho                     // K'Brel, Liêng Ka Huyền: K' for men, Ka for women, a clan name or none
	styleStieng                  // Điểu K'Rê, Thị Hoa: Điểu for men, Thị for women
)

// matrilineal reports whether children take the mother's family name: the
// Ê Đê, Gia Rai, Chăm, Ra Glai and Chu Ru reckon descent through women.
func matrilineal(eth string) bool {
	switch eth {
	case "10", "12", "17", "21", "36":
		return true
	}
	return false
}

// groupNames lists, per ethnic group code, the naming style and the
// group's own surnames, commonest first (approximate, from lists of names
// common in each people).
var groupNames = map[string]struct {
	style    nameStyle
	surnames string // comma-separated
}{
	"02": {styleList, "Hoàng,Nông,Lương,Ma,Bế,Hà,Đàm,Lục,Triệu,Lý,Ninh,Hứa,Mông"},
	"03": {styleList, "Lò,Lường,Cầm,Quàng,Vì,Tòng,Hà,Lừ,Điêu,Sầm,Mè,Bạc"},
	"04": {styleHoa, "Lâm,Lý,Trần,Quách,Lưu,Hứa,Tăng,Mạc,Lương,Trương,Diệp,Giang,Thái,La,Vương,Ông,Phùng,Hồng"},
	"05": {styleKhmer, "Thạch,Sơn,Kim,Danh,Lâm,Châu,Huỳnh,Trần,Lý,Triệu"},
	"06": {styleList, "Bùi,Đinh,Quách,Hà,Xa,Cao,Bạch,Trương"},
	"07": {styleList, "Nông,Hoàng,Lương,Chu,Mã,Vi,Lăng,Lục,Hứa,Sầm,Chẩu,Lâm"},
	"08": {styleMong, "Giàng,Vàng,Sùng,Lý,Thào,Hầu,Mùa,Lầu,Cứ,Hạng,Tráng,Ly,Hờ"},
	"09": {styleList, "Triệu,Bàn,Đặng,Lý,Phùng,Chảo,Tẩn,Dương,Sần"},
	"10": {styleJarai, "Ksor,Rơ Châm,Rơ Mah,Kpă,Siu,Nay,Rơ Lan,Puih,Rah Lan,Kpuih"},
	"12": {styleEde, "Niê,Êban,Ksơr,Mlô,Byă,Adrơng,Ayŭn,Niê Kdăm,Hđơk,Knul,Êya,Buôn Yă"},
	"13": {styleBahnar, "Đinh,Nguyễn"},
	"14": {styleBahnar, "A,Y"},
	"15": {styleList, "Lâm,Trần,Hoàng,Vi,Nịnh,Lý"},
	"16": {styleKho, "Liêng,Kơ Să,Bon Niêng,Cil,Kră Jăn,Ya"},
	"17": {styleList, "Đàng,Lộ,Thuận,Quảng,Thiên,Bá,Châu,Dương,Từ,Trượng,Phú,Thông,Hán,Tạ"},
	"18": {styleList, "Trần,Lê,Diệp,Lý,Phạm,Lương"},
	"19": {styleList, "Đinh,Phạm,Hồ,Nguyễn"},
	"20": {styleStieng, ""},
	"21": {styleList, "Pi Năng,Chamaléa,Katơr,Mang"},
	"22": {styleStieng, ""},
	"23": {styleList, "Hồ,Lê,Hồ Văn"},
	"24": {styleList, "Trương,Lê,Hoàng,Nguyễn"},
	"25": {styleList, "Hoàng,Lò,Vàng,Sần,Lù"},
	"26": {styleList, "Bríu,Alăng,Zơrâm,Bh'riu,Hốih,Coor"},
	"27": {styleBahnar, "A,Y"},
	"28": {styleStieng, ""},
	"29": {styleList, "Lầu,Vi,Cụt,Lò,Quàng,Mạc"},
	"30": {styleList, "Đinh,Hồ"},
	"31": {styleList, "Hồ,Kăn,Pả,Hồ Thị"},
	"32": {styleStieng, ""},
	"36": {styleKho, "Touneh,Ya,Ma"},
}

// Names peculiar to some peoples, from lists of common names in each.
var (
	hoaMiddle   = [2][]string{{"Gia", "Vĩnh", "Kiến", "Thiếu", "Văn", "Chí", "Quốc"}, {"Mỹ", "Tú", "Lệ", "Thục", "Huệ", "Ngọc", "Bội"}}
	hoaGiven    = [2][]string{{"Kiệt", "Hào", "Vinh", "Cường", "Phát", "Quang", "Huy", "Tường", "Khang", "Hưng", "Minh", "Lương"}, {"Linh", "Phương", "Nghi", "Mẫn", "Trinh", "Quyên", "Hân", "Dung", "Huệ", "Lan", "Di", "Phân"}}
	khmerGiven  = [2][]string{{"Sóc", "Phanh", "Chanh", "Sô Phia", "Sam Bô", "Thol", "Rinh", "Sà Rươn", "Khánh", "Sô Kha", "Hên", "Chăn Thu", "Sa Rát"}, {"Sa Vy", "Sa Rênh", "Sô Phanh", "Ra Ni", "Ka Ry", "Đa Ni", "Chanh Thi", "Sà Mây", "Sóc Kha", "Thu", "Chăn Ny", "Sa Ri"}}
	mongMiddle  = [2][]string{{"A", "A", "A", "Mí", "Seo", "Chứ", "Văn"}, {"Thị", "Thị", "Thị", "Thị", "Mỷ"}}
	mongGiven   = [2][]string{{"Páo", "Dế", "Chứ", "Tủa", "Sử", "Pó", "Lử", "Phử", "Dình", "Sình", "Chả", "Khua", "Của", "Tông", "Sùng"}, {"Mai", "Máy", "Dợ", "Chở", "Sua", "Mỷ", "Pà", "Dua", "Súa", "Chu", "Dính", "Xúa", "Mỉ", "Say", "Dế"}}
	edeGiven    = [2][]string{{"Ngông", "Moan", "Tlam", "Điêng", "Thuột", "Khu", "Bih", "Wơn", "Jut", "Kông", "Blô", "Suôn", "Hiu", "Ngọc", "Phương"}, {"Hen", "Linh", "Nga", "Mai", "Yam", "Bia", "Loan", "Xíu", "Ngun", "Nhi", "Wen", "Ruôn", "Dơk", "Hồng", "Jam", "Rin"}}
	jaraiGiven  = [2][]string{{"Phin", "Blêh", "Hồng", "Đơk", "Thuyn", "Brư", "Nơ", "Hyơng", "Krông", "Ngơl"}, {"Yun", "Bia", "Lan", "Hlim", "Nhung", "Ler", "Hyoan", "Bưih", "Jâm", "Plơi"}}
	bahnarGiven = [2][]string{{"Thút", "Nghiêm", "Blong", "Tơ", "Hrơk", "Đum", "Brok", "Jơ", "Prao", "Giang"}, {"Blơ", "Ngọc", "Hlai", "Krin", "Đơn", "Pơn", "Nhôi", "Jưn", "Lơ", "Hương"}}
	khoGiven    = [2][]string{{"Brel", "Ha", "Tiếp", "Brới", "Rê", "Kơ", "Sớ", "Đìu", "Brông", "Tơm"}, {"Huyền", "Điệp", "Nhi", "Sô", "Liễng", "Brưi", "Hơn", "Thu", "Nai", "Pă"}}
)

// kinhNames holds the Kinh middle and given names from given-names.csv, by
// sex (0 male, 1 female), and the national surnames with their shares.
type kinhNames struct {
	surnames []string
	surname  alias
	middle   [2][]string
	given    [2][]string
	givenW   [2]alias
}

func loadKinhNames() (*kinhNames, error) {
	k := &kinhNames{}
	recs, err := csv.NewReader(strings.NewReader(surnamesCSV)).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("synth: embedded surnames.csv is broken: %v", err)
	}
	var w []float64
	for _, r := range recs[1:] {
		share, err := strconv.ParseFloat(r[1], 64)
		if err != nil || share <= 0 {
			return nil, fmt.Errorf("synth: embedded surnames.csv has a bad share")
		}
		k.surnames = append(k.surnames, r[0])
		w = append(w, share)
	}
	k.surname = newAlias(w)
	recs, err = csv.NewReader(strings.NewReader(givenNamesCSV)).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("synth: embedded given-names.csv is broken: %v", err)
	}
	for _, r := range recs[1:] {
		s := 0
		if r[1] == "female" {
			s = 1
		}
		switch r[0] {
		case "middle":
			k.middle[s] = append(k.middle[s], r[2])
		case "given":
			k.given[s] = append(k.given[s], r[2])
		}
	}
	for s := range 2 {
		if len(k.middle[s]) < 2 || len(k.given[s]) == 0 {
			return nil, fmt.Errorf("synth: embedded given-names.csv lacks names for one sex")
		}
		// The list is in rough order of popularity: weight by rank.
		gw := make([]float64, len(k.given[s]))
		for i := range gw {
			gw[i] = 1 / float64(i+8)
		}
		k.givenW[s] = newAlias(gw)
	}
	return k, nil
}

// namer composes names. It is read-only after construction and shared by
// all workers.
type namer struct {
	kinh   *kinhNames
	groups map[string]*groupNamer
}

type groupNamer struct {
	style    nameStyle
	surnames []string
	surname  alias
}

func newNamer() (*namer, error) {
	k, err := loadKinhNames()
	if err != nil {
		return nil, err
	}
	n := &namer{kinh: k, groups: make(map[string]*groupNamer)}
	for code, g := range groupNames {
		if g.surnames == "" {
			n.groups[code] = &groupNamer{style: g.style}
			continue
		}
		list := strings.Split(g.surnames, ",")
		w := make([]float64, len(list))
		for i := range w {
			w[i] = 1 / float64(i+2)
		}
		n.groups[code] = &groupNamer{style: g.style, surnames: list, surname: newAlias(w)}
	}
	return n, nil
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func sexIndex(female bool) int {
	if female {
		return 1
	}
	return 0
}

// surname draws a family name for someone of group eth whose name does not
// come from a parent on record.
func (n *namer) surname(r *rand.Rand, eth string, female bool) string {
	if g := n.groups[eth]; g != nil && len(g.surnames) > 0 {
		// Some minority people carry Kinh surnames.
		if g.style == styleList && chance(r, 0.15) {
			return n.kinhSurname(r, female)
		}
		return g.surnames[g.surname.draw(r)]
	}
	return n.kinhSurname(r, female)
}

// kinhSurname draws from surnames.csv. Tôn Nữ is the form the daughters of
// the Tôn Thất line take, so a man drawing it is a Tôn Thất.
func (n *namer) kinhSurname(r *rand.Rand, female bool) string {
	s := n.kinh.surnames[n.kinh.surname.draw(r)]
	if !female && s == "Tôn Nữ" {
		return "Tôn Thất"
	}
	return s
}

// childSurname returns the family name a child takes from a parent's.
func childSurname(parent string, female bool, r *rand.Rand) string {
	if female && parent == "Tôn Thất" && chance(r, 0.6) {
		return "Tôn Nữ"
	}
	if !female && parent == "Tôn Nữ" {
		return "Tôn Thất"
	}
	return parent
}

// full composes a full name for a person of group eth with the given family
// name, born in year.
func (n *namer) full(r *rand.Rand, eth, surname string, female bool, year int) string {
	s := sexIndex(female)
	g := n.groups[eth]
	style := styleKinh
	if g != nil {
		style = g.style
	}
	var b strings.Builder
	b.Grow(40)
	switch style {
	case styleHoa:
		if chance(r, 0.3) {
			return n.kinhFull(r, surname, female, year)
		}
		b.WriteString(surname)
		b.WriteByte(' ')
		b.WriteString(pick(r, hoaMiddle[s]))
		b.WriteByte(' ')
		b.WriteString(pick(r, hoaGiven[s]))
	case styleKhmer:
		b.WriteString(surname)
		if female && chance(r, 0.8) {
			b.WriteString(" Thị")
		}
		b.WriteByte(' ')
		b.WriteString(pick(r, khmerGiven[s]))
	case styleMong:
		b.WriteString(surname)
		b.WriteByte(' ')
		b.WriteString(pick(r, mongMiddle[s]))
		b.WriteByte(' ')
		b.WriteString(pick(r, mongGiven[s]))
	case styleEde:
		if female {
			b.WriteString("H'")
		} else {
			b.WriteString("Y ")
		}
		b.WriteString(pick(r, edeGiven[s]))
		b.WriteByte(' ')
		b.WriteString(surname)
	case styleJarai:
		b.WriteString(surname)
		if female {
			b.WriteString(" H'")
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(pick(r, jaraiGiven[s]))
	case styleBahnar:
		if surname != "A" && surname != "Y" && chance(r, 0.5) {
			b.WriteString(surname)
			if female {
				b.WriteString(" Thị ")
			} else {
				b.WriteString(" Văn ")
			}
		} else if female {
			b.WriteString("Y ")
		} else {
			b.WriteString("A ")
		}
		b.WriteString(pick(r, bahnarGiven[s]))
	case styleKho:
		if chance(r, 0.5) {
			b.WriteString(surname)
			b.WriteByte(' ')
		}
		if female {
			b.WriteString("Ka ")
		} else {
			b.WriteString("K'")
		}
		b.WriteString(pick(r, khoGiven[s]))
	case styleStieng:
		if female {
			b.WriteString("Thị ")
		} else {
			b.WriteString("Điểu ")
			if chance(r, 0.5) {
				b.WriteString("K'")
			}
		}
		b.WriteString(pick(r, khoGiven[s]))
	default:
		return n.kinhFull(r, surname, female, year)
	}
	return b.String()
}

// kinhFull composes a name in Kinh order. Văn and Thị, once almost
// universal middle names, have become rarer with each generation, and
// recent generations more often have two middle names.
func (n *namer) kinhFull(r *rand.Rand, surname string, female bool, year int) string {
	s := sexIndex(female)
	k := n.kinh
	var common float64 // the share of Văn (men) or Thị (women)
	switch {
	case year < 1980:
		common = 0.5 + 0.2*float64(s)
	case year < 2000:
		common = 0.3 + 0.1*float64(s)
	default:
		common = 0.12 + 0.05*float64(s)
	}
	var b strings.Builder
	b.Grow(40)
	b.WriteString(surname)
	b.WriteByte(' ')
	if chance(r, common) {
		b.WriteString(k.middle[s][0])
	} else {
		b.WriteString(k.middle[s][1+r.IntN(len(k.middle[s])-1)])
		if year >= 1995 && chance(r, 0.12) {
			if m := k.middle[s][1+r.IntN(len(k.middle[s])-1)]; !strings.HasSuffix(b.String(), m) {
				b.WriteByte(' ')
				b.WriteString(m)
			}
		}
	}
	b.WriteByte(' ')
	b.WriteString(k.given[s][k.givenW[s].draw(r)])
	return b.String()
}
