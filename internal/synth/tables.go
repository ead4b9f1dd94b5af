package synth

// The small tables the generator draws from, besides the reference files.
// Every number here is an approximation chosen to make synthetic data look
// plausible; none is an official statistic to be quoted.

// region groups the pre-2025 provinces for migration: people move mostly
// within their half of the country and towards its big cities.
type region uint8

const (
	regNorth        region = iota // Red River delta and northern mountains
	regNorthCentral               // Thanh Hóa to Quảng Trị
	regCentral                    // Huế to Bình Thuận, the coast
	regHighlands                  // Kon Tum, Gia Lai, Đắk Lắk, Đắk Nông, Lâm Đồng
	regSoutheast                  // Bình Phước to Thành phố Hồ Chí Minh
	regMekong                     // Long An to Cà Mau
	numRegions
)

// oldProvince holds what the generator needs about each of the 63 pre-2025
// provinces, keyed by PIN prefix. popK is the approximate average population
// in 2024 in thousands (rounded from the statistical yearbook); the 2025
// provinces are weighted by the sum over the old provinces they absorbed,
// which gives about 8.7 million for Hà Nội and 13.5 million for the merged
// Thành phố Hồ Chí Minh. emig says how readily people born there moved to
// another province (high for the north-central coast and the Mekong delta,
// low for the big cities). cmnd is the two-digit prefix of the old 9-digit
// identity card numbers (CMND) issued there.
var oldProvinces = []struct {
	code   string
	popK   int
	region region
	emig   float64
	cmnd   string
}{
	{"001", 8690, regNorth, 0.4, "01"},
	{"002", 900, regNorth, 0.8, "07"},
	{"004", 550, regNorth, 0.8, "08"},
	{"006", 330, regNorth, 0.8, "09"},
	{"008", 800, regNorth, 0.8, "07"},
	{"010", 770, regNorth, 0.7, "06"},
	{"011", 640, regNorth, 0.7, "04"},
	{"012", 480, regNorth, 0.7, "04"},
	{"014", 1300, regNorth, 0.7, "05"},
	{"015", 850, regNorth, 0.8, "06"},
	{"017", 880, regNorth, 1.0, "11"},
	{"019", 1340, regNorth, 0.8, "09"},
	{"020", 800, regNorth, 0.8, "08"},
	{"022", 1380, regNorth, 0.5, "10"},
	{"024", 1900, regNorth, 1.2, "12"},
	{"025", 1510, regNorth, 1.1, "13"},
	{"026", 1200, regNorth, 0.9, "13"},
	{"027", 1500, regNorth, 0.6, "12"},
	{"030", 1950, regNorth, 1.1, "14"},
	{"031", 2100, regNorth, 0.5, "03"},
	{"033", 1300, regNorth, 1.1, "14"},
	{"034", 1880, regNorth, 1.6, "15"},
	{"035", 880, regNorth, 1.5, "16"},
	{"036", 1890, regNorth, 1.6, "16"},
	{"037", 1010, regNorth, 1.3, "16"},
	{"038", 3760, regNorthCentral, 1.8, "17"},
	{"040", 3460, regNorthCentral, 1.8, "18"},
	{"042", 1330, regNorthCentral, 1.8, "18"},
	{"044", 920, regNorthCentral, 1.5, "19"},
	{"045", 650, regNorthCentral, 1.5, "19"},
	{"046", 1160, regCentral, 1.0, "19"},
	{"048", 1240, regCentral, 0.4, "20"},
	{"049", 1520, regCentral, 1.5, "20"},
	{"051", 1250, regCentral, 1.5, "21"},
	{"052", 1500, regCentral, 1.4, "21"},
	{"054", 880, regCentral, 1.3, "22"},
	{"056", 1260, regCentral, 0.8, "22"},
	{"058", 600, regCentral, 1.2, "26"},
	{"060", 1250, regCentral, 1.0, "26"},
	{"062", 580, regHighlands, 0.7, "23"},
	{"064", 1600, regHighlands, 0.8, "23"},
	{"066", 1940, regHighlands, 0.9, "24"},
	{"067", 680, regHighlands, 0.8, "24"},
	{"068", 1330, regHighlands, 0.7, "25"},
	{"070", 1040, regSoutheast, 0.7, "28"},
	{"072", 1190, regSoutheast, 0.8, "29"},
	{"074", 2760, regSoutheast, 0.3, "28"},
	{"075", 3310, regSoutheast, 0.5, "27"},
	{"077", 1190, regSoutheast, 0.5, "27"},
	{"079", 9520, regSoutheast, 0.3, "02"},
	{"080", 1740, regMekong, 1.0, "30"},
	{"082", 1800, regMekong, 1.3, "31"},
	{"083", 1300, regMekong, 1.5, "32"},
	{"084", 1020, regMekong, 1.5, "33"},
	{"086", 1030, regMekong, 1.4, "33"},
	{"087", 1600, regMekong, 1.5, "34"},
	{"089", 1900, regMekong, 1.6, "35"},
	{"091", 1760, regMekong, 1.4, "37"},
	{"092", 1260, regMekong, 0.8, "36"},
	{"093", 730, regMekong, 1.5, "36"},
	{"094", 1200, regMekong, 1.6, "36"},
	{"095", 920, regMekong, 1.5, "38"},
	{"096", 1210, regMekong, 1.5, "38"},
}

// affinity[dest][origin] weights where the migrants into a region come from:
// Hà Nội draws on the north and the north-central coast, the south-east on
// the whole country but most on the Mekong delta and the centre.
var affinity = [numRegions][numRegions]float64{
	regNorth:        {3, 3, 0.5, 0.3, 0.3, 0.2},
	regNorthCentral: {1, 3, 1, 0.5, 0.5, 0.3},
	regCentral:      {0.5, 2, 3, 1, 0.5, 0.3},
	regHighlands:    {1.5, 2, 3, 2, 0.5, 0.3},
	regSoutheast:    {0.6, 1.5, 1.5, 0.8, 1.5, 2.5},
	regMekong:       {0.2, 0.5, 0.5, 0.3, 1, 3},
}

// migrantShare is the probability that an adult living in a 2025 province
// had their birth registered in another one: high in the cities and
// industrial provinces that drew workers, and in the Central Highlands that
// drew settlers. Other provinces use defaultMigrantShare.
var migrantShare = map[string]float64{
	"79": 0.42, // Thành phố Hồ Chí Minh, with Bình Dương and Bà Rịa - Vũng Tàu
	"01": 0.26, // Hà Nội
	"75": 0.32, // Đồng Nai, with Bình Phước
	"24": 0.18, // Bắc Ninh, with Bắc Giang: industrial parks
	"48": 0.18, // Đà Nẵng
	"66": 0.20, // Đắk Lắk
	"68": 0.22, // Lâm Đồng, with Đắk Nông
	"52": 0.14, // Gia Lai
	"22": 0.15, // Quảng Ninh
	"31": 0.12, // Hải Phòng
	"80": 0.12, // Tây Ninh, with Long An
	"56": 0.12, // Khánh Hòa
	"92": 0.10, // Cần Thơ
	"19": 0.10, // Thái Nguyên
}

const defaultMigrantShare = 0.07

// ethnicSeeds gives, for each 2025 province, the rough percentage of each
// ethnic group (by code) among its people, from the 2019 census figures of
// the old provinces it absorbed. The generator balances this matrix (by
// iterative proportional fitting) so that province totals follow the
// population table and national totals follow ethnic-groups.csv; the seeds
// only say where each group lives.
var ethnicSeeds = map[string]string{
	"01": "01:98.6 06:0.8 02:0.2 03:0.1 07:0.1 04:0.1 09:0.1",
	"04": "02:41 07:31.5 08:10.5 09:10 01:5.5 15:1 43:0.4",
	"08": "01:29 02:24 08:18 09:13 07:6 15:4 25:1 38:0.8 46:0.4 47:0.2 49:0.1 40:0.1 43:0.1 51:0.1",
	"11": "08:38 03:34 01:18 29:3.2 09:1 35:1.5 37:1 48:0.4 50:0.1 34:0.3 33:0.4 42:0.2",
	"12": "08:37 03:32 01:14 09:13 35:4 25:1.5 41:2.4 42:1.3 48:0.3 45:0.9 50:0.1 29:0.5 33:0.4",
	"14": "03:54 01:17 08:16 06:7 09:2.5 34:2.3 29:1.3 33:1 39:0.8 37:0.3",
	"15": "01:45 02:17 08:17 09:12 03:3.5 25:2.5 07:2 35:1 40:1 06:1 38:0.3 49:0.1",
	"19": "01:60 02:18 07:6.5 09:5 18:3 15:2 08:1.8 04:0.3 11:0.05",
	"20": "07:42 02:35 01:16 09:3.5 15:1 04:0.3 08:0.5",
	"22": "01:88 09:5 02:3.5 18:1.5 15:1 04:0.5 11:0.1",
	"24": "01:92 07:3 02:1.8 15:1.2 18:1 04:0.7 09:0.3 11:0.05",
	"25": "01:72 06:21.5 18:0.9 09:1 03:1 02:0.8 08:0.2",
	"31": "01:99.7 04:0.1 02:0.1",
	"33": "01:99.8",
	"37": "01:99.2 06:0.7",
	"38": "01:83 06:9 03:6 08:0.5 09:0.2 24:0.3 29:0.2",
	"40": "01:85 03:10 24:2.3 29:1.3 08:1.1 53:0.01",
	"42": "01:99.6 44:0.05 37:0.02 29:0.1",
	"44": "01:93.5 23:5 31:1 44:0.3",
	"46": "01:96 31:2.6 26:1 23:0.3",
	"48": "01:95.5 26:2.6 14:1 27:0.6 30:0.3",
	"51": "01:75 19:7 14:8 13:3.8 27:2.8 10:1.5 30:1.5 52:0.02 54:0.03",
	"52": "01:74 10:17.5 13:6.8 19:0.2 17:0.2 02:0.3 07:0.3",
	"56": "01:89 21:6.5 17:3.8 04:0.3 12:0.1",
	"66": "01:74 12:13.5 07:2.7 02:1.8 20:1.4 08:1 09:0.8 17:0.8 10:0.7 03:0.7 13:0.5 06:0.3 23:0.2",
	"68": "01:81.5 16:5 28:1.3 36:0.7 20:1.6 07:2.3 02:1.6 08:0.8 09:0.5 17:1.2 21:0.4 04:0.6 12:0.1",
	"75": "01:90 04:2.2 22:2.3 07:1.2 02:1 32:0.5 05:0.5 20:0.3 28:0.2",
	"79": "01:94.5 04:3.5 05:0.5 07:0.3 02:0.3 06:0.3 32:0.2 17:0.1 03:0.2 11:0.01",
	"80": "01:99.3 05:0.5 17:0.1 04:0.1 22:0.1",
	"82": "01:99.8 04:0.2",
	"86": "01:88 05:11.5 04:0.4",
	"91": "01:90 05:8 04:1.3 17:0.3",
	"92": "01:84 05:13.5 04:2.3",
	"96": "01:94.5 05:4 04:1.2",
}

// migrantSeed is the seed percentage of every ethnic group in the provinces
// that draw migrants from everywhere, so that a few people of any group live
// in the big cities.
const migrantSeed = 0.005

var migrantCities = []string{"01", "79", "75", "24", "48"}

// ageBands is the approximate age structure of Viet Nam in 2024, in percent
// per five-year band from 0–4 to 85+ (after the GSO population estimates and
// the UN World Population Prospects 2024). Households are built around
// couples whose ages are drawn from coupleAgeBands, tuned so that the
// population that results follows this pyramid; tests compare the two.
var ageBands = [18]float64{7.0, 7.9, 8.1, 7.3, 6.8, 7.2, 8.2, 8.3, 7.7, 6.9, 6.2, 5.5, 4.8, 3.8, 2.5, 1.5, 1.0, 1.0}

// coupleAgeBands weights the age of the husband of a couple household, by
// five-year band starting at 20–24.
var coupleAgeBands = []float64{1.5, 3, 10, 13.5, 13, 12, 11, 9, 7, 5.5, 4, 2.5, 2, 1.6, 0.6}

// birthsByCohort gives the distribution of the number of children a woman
// has had, by her year of birth: from about four for women born before 1960
// to about two for those born since 1990.
var birthsByCohort = []struct {
	bornFrom int
	dist     []float64 // P(0), P(1), ...
}{
	{1990, []float64{5, 18, 50, 22, 5}},
	{1975, []float64{4, 12, 50, 26, 8}},
	{1960, []float64{4, 10, 38, 30, 13, 5}},
	{0, []float64{3, 6, 20, 27, 22, 14, 8}},
}

// religions, with the province and ethnic group tables that weight them. A
// household draws one; most people declare none. The names follow the
// census wording.
var religions = []string{"", "Phật giáo", "Công giáo", "Tin lành", "Cao Đài", "Phật giáo Hòa Hảo", "Hồi giáo", "Bà La Môn"}

// religionByProvince gives percentages for the religions above (after the
// first, which is the rest) for Kinh households; other provinces use
// defaultReligion.
var religionByProvince = map[string][]float64{
	"37": {4, 17, 0, 0, 0, 0, 0},
	"40": {3, 8, 0, 0, 0, 0, 0},
	"42": {3, 8, 0, 0, 0, 0, 0},
	"46": {20, 3, 0, 0, 0, 0, 0},
	"48": {10, 4, 0, 0, 0, 0, 0},
	"56": {10, 8, 0, 0, 0, 0, 0},
	"52": {6, 8, 2, 0, 0, 0, 0},
	"66": {6, 12, 3, 0, 0, 0, 0},
	"68": {8, 14, 3, 0, 0, 0, 0},
	"75": {12, 28, 1, 0.5, 0, 0, 0},
	"79": {12, 8, 0.5, 0.5, 0, 0, 0},
	"80": {8, 2, 0, 12, 0, 0, 0},
	"82": {8, 2, 0, 3, 8, 0, 0},
	"86": {8, 4, 0, 5, 0, 0, 0},
	"91": {10, 2, 0, 1, 25, 0.3, 0},
	"92": {10, 2, 0, 1, 5, 0, 0},
	"96": {8, 1, 0, 2, 0, 0, 0},
}

var defaultReligion = []float64{5, 5, 0.3, 0, 0, 0, 0}

// religionByEthnicity overrides the province for groups whose religion is
// characteristic: Theravada Buddhism among the Khmer, Protestantism among
// the Mông and several Central Highlands peoples, Islam (Bani) and
// Brahmanism among the Chăm.
var religionByEthnicity = map[string][]float64{
	"04": {25, 3, 0, 0, 0, 0, 0},
	"05": {90, 1, 0, 0, 0, 0, 0},
	"08": {0, 0, 30, 0, 0, 0, 0},
	"09": {0, 0, 5, 0, 0, 0, 0},
	"10": {0, 20, 20, 0, 0, 0, 0},
	"12": {0, 15, 35, 0, 0, 0, 0},
	"13": {0, 30, 5, 0, 0, 0, 0},
	"14": {0, 30, 5, 0, 0, 0, 0},
	"16": {0, 25, 30, 0, 0, 0, 0},
	"17": {5, 0, 0, 0, 0, 25, 30},
	"20": {0, 10, 30, 0, 0, 0, 0},
}

// bloodTypes are weighted after published blood-donor typing in Viet Nam:
// O and B dominate and Rh-negative is rare.
var bloodTypes = []string{"O+", "B+", "A+", "AB+", "O-", "B-", "A-", "AB-"}
var bloodWeights = []float64{41.7, 30.1, 21.4, 6.3, 0.2, 0.15, 0.1, 0.05}

// phonePrefixes are the mobile prefixes of the ten-digit numbering plan of
// 2018, weighted by the rough market shares of Viettel, VinaPhone,
// MobiFone, Vietnamobile and Gmobile.
var phonePrefixes = []struct {
	prefix string
	weight float64
}{
	{"086", 5}, {"096", 8}, {"097", 8}, {"098", 8},
	{"032", 4}, {"033", 4}, {"034", 4}, {"035", 4}, {"036", 3}, {"037", 3}, {"038", 3}, {"039", 3},
	{"088", 3}, {"091", 6}, {"094", 5}, {"081", 2}, {"082", 2}, {"083", 2}, {"084", 2}, {"085", 2},
	{"089", 2}, {"090", 5}, {"093", 4}, {"070", 1.5}, {"076", 1}, {"077", 1}, {"078", 1}, {"079", 1},
	{"092", 1}, {"056", 0.5}, {"058", 0.5}, {"099", 0.5}, {"059", 0.3},
}

var emailDomains = []string{"gmail.com", "gmail.com", "gmail.com", "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com"}

// streets are common street names, mostly national heroes and historical
// events, that exist in many Vietnamese towns.
var streets = []string{
	"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Lý Thường Kiệt", "Hai Bà Trưng", "Quang Trung",
	"Nguyễn Huệ", "Lê Duẩn", "Hùng Vương", "Phan Đình Phùng", "Điện Biên Phủ", "Võ Thị Sáu",
	"Nguyễn Du", "Bà Triệu", "Trần Phú", "Lê Thánh Tông", "Nguyễn Văn Cừ", "Cách Mạng Tháng Tám",
	"Ngô Quyền", "Lạc Long Quân", "Âu Cơ", "Phạm Văn Đồng", "Võ Văn Kiệt", "Láng", "Kim Mã",
	"Tôn Đức Thắng", "Nguyễn Thị Minh Khai", "Lê Hồng Phong", "Hoàng Diệu", "Chu Văn An",
	"Trường Chinh", "Tô Hiến Thành", "Phan Chu Trinh", "Nguyễn Chí Thanh", "Lê Văn Sỹ",
	"Nguyễn Đình Chiểu", "Hoàng Văn Thụ", "Trần Quốc Toản", "Yết Kiêu", "Đinh Tiên Hoàng",
	"Lý Thái Tổ", "Nguyễn Tất Thành", "Ba Tháng Hai", "Hoàng Hoa Thám", "Nguyễn Văn Linh",
	"Phạm Ngũ Lão", "Lê Quý Đôn", "Nguyễn Khuyến", "Mạc Đĩnh Chi", "Tăng Bạt Hổ",
}

// hamletNames name thôn, xóm and ấp; villages are also often just numbered.
var hamletNames = []string{
	"Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Phú Mỹ", "Tân Lập", "An Bình",
	"Hòa Bình", "Đồng Tâm", "Thống Nhất", "Quyết Tiến", "Tân Tiến", "Phú Thọ", "Bình An",
	"Tân Hòa", "Mỹ Lợi", "Long Thạnh", "Thạnh Phú", "Hưng Lợi", "Đoài", "Chùa", "Đình",
	"Phúc Lộc", "Vĩnh Thành", "An Hòa", "Tân Thạnh", "Long Hòa", "Mỹ Phú", "Phước Hòa",
	"Bình Đông", "Hòa Lợi", "Xuân Lộc", "Cầu", "Giữa", "Ngoài", "Trong", "Đồng Lạc",
}

// Villages of the upland peoples: bản in the northern mountains, buôn of the
// Ê Đê, plei and làng of the Gia Rai and Ba Na, sóc of the Khmer.
var (
	banNames  = []string{"Nà Sang", "Hua Pe", "Pá Khoang", "Sín Chải", "Lũng Cú", "Tả Phìn", "Mường Phăng", "Nà Khương", "Phiêng Lanh", "Lác", "Co Mạ", "Huổi Só", "Pả Vi", "Nậm Cang", "Hang Kia"}
	buonNames = []string{"Ko Tam", "Ea Kmar", "Cuôr Đăng", "Tring", "Kô Sia", "Ea Bông", "Kram", "Dhăm", "Ako Dhông", "Pơng Drang"}
	pleiNames = []string{"Ơp", "Kon Klor", "Đê Kjiêng", "Kép", "Phun", "Kon Hơ Ring", "Ia Mơ", "Ngol Zơ", "Bông Hra", "Tơ Nùng"}
	socNames  = []string{"Sóc Ớt", "Tà Ek", "Prây Chóp", "Sóc Tro", "Sóc Xoài", "Trà Kháo", "Sa Bâu", "Chông Nô", "Ô Chát", "Ba Se"}
)
