package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// The console's languages. Vietnamese is the default: the officers are
// Vietnamese and the records are in Vietnamese.
const (
	langVI      = "vi"
	langEN      = "en"
	defaultLang = langVI
)

// langs lists the supported languages in the order the switch shows them.
var langs = []string{langVI, langEN}

// messages is the console's message catalogue: every string the pages show
// that does not come from a record. Keys are grouped by page; field.* keys are
// the JSON names of record fields, so that the history diff can label a
// changed field with the same words as the record page. Messages that take
// arguments use fmt verbs. TestMessages_sameKeys keeps the languages in step.
var messages = map[string]map[string]string{
	langVI: {
		"app.name":         "dancu — Cơ sở dữ liệu quốc gia về dân cư",
		"app.console":      "Cổng thông tin dành cho cán bộ",
		"app.skip":         "Bỏ qua, đến nội dung chính",
		"app.footer":       "Dữ liệu cá nhân — chỉ sử dụng cho mục đích công vụ. Không chia sẻ, không sao chụp màn hình.",
		"nav.search":       "Tra cứu",
		"nav.signed_in_as": "Cán bộ: %s",
		"nav.sign_out":     "Đăng xuất",
		"nav.language":     "Ngôn ngữ",
		"lang.vi":          "Tiếng Việt",
		"lang.en":          "English",

		"login.title":      "Đăng nhập",
		"login.intro":      "Dán mã truy cập quản trị (admin token) để đăng nhập. Phiên đăng nhập có hiệu lực 8 giờ.",
		"login.token":      "Mã truy cập",
		"login.submit":     "Đăng nhập",
		"login.bad_token":  "Mã truy cập không đúng.",
		"login.expired":    "Biểu mẫu đăng nhập đã hết hạn. Vui lòng nhập lại mã truy cập.",
		"login.signed_out": "Bạn đã đăng xuất.",

		"search.title":                "Tra cứu công dân",
		"search.criteria":             "Điều kiện tìm kiếm",
		"search.name":                 "Họ và tên",
		"search.name_hint":            "Có dấu hoặc không dấu, ví dụ: Nguyễn Văn An hoặc nguyen van an. Có thể chỉ nhập phần đầu: nguyen van.",
		"search.birth_year":           "Năm sinh",
		"search.sex":                  "Giới tính",
		"search.any":                  "Tất cả",
		"search.province":             "Tỉnh/thành phố thường trú",
		"search.commune":              "Mã xã/phường thường trú",
		"search.commune_hint":         "5 chữ số, ví dụ 26740",
		"search.submit":               "Tìm kiếm",
		"search.clear":                "Xoá điều kiện",
		"search.by_pin":               "Tra cứu theo số định danh cá nhân",
		"search.pin":                  "Số định danh cá nhân",
		"search.pin_hint":             "12 chữ số",
		"search.open":                 "Mở hồ sơ",
		"search.results":              "Kết quả tìm kiếm",
		"search.showing":              "Hiển thị %d kết quả trên trang này.",
		"search.no_results":           "Không tìm thấy công dân nào phù hợp với điều kiện tìm kiếm.",
		"search.next":                 "Trang sau",
		"search.first":                "Về trang đầu",
		"search.err.title":            "Cần sửa điều kiện tìm kiếm",
		"search.err.need_criterion":   "Hãy nhập ít nhất một điều kiện: họ tên, năm sinh, tỉnh/thành phố hoặc mã xã/phường.",
		"search.err.name_no_letters":  "Họ tên phải có ít nhất một chữ cái.",
		"search.err.name_too_long":    "Họ tên quá dài (tối đa 100 ký tự).",
		"search.err.birth_year":       "Năm sinh phải là một năm gồm 4 chữ số, ví dụ 1985.",
		"search.err.sex":              "Giới tính không hợp lệ.",
		"search.err.province":         "Tỉnh/thành phố không hợp lệ.",
		"search.err.commune":          "Mã xã/phường phải gồm 5 chữ số của một xã/phường hiện hành.",
		"search.err.commune_province": "Xã/phường này không thuộc tỉnh/thành phố đã chọn.",
		"search.err.cursor":           "Liên kết trang sau không còn hợp lệ; hãy tìm kiếm lại.",
		"search.err.pin":              "Số định danh cá nhân không hợp lệ: số định danh gồm 12 chữ số.",
		"search.err.generic":          "Dữ liệu nhập không hợp lệ (%s: %s).",

		"col.pin":          "Số định danh",
		"col.full_name":    "Họ và tên",
		"col.birth":        "Ngày sinh",
		"col.sex":          "Giới tính",
		"col.residence":    "Nơi thường trú",
		"col.status":       "Tình trạng",
		"col.relationship": "Quan hệ với chủ hộ",

		"sex.male":   "Nam",
		"sex.female": "Nữ",

		"state.alive":   "Còn sống",
		"state.dead":    "Đã chết",
		"state.missing": "Mất tích",

		"marital.single":   "Chưa kết hôn",
		"marital.married":  "Đã kết hôn",
		"marital.divorced": "Đã ly hôn",
		"marital.widowed":  "Góa",

		"rel.head":       "Chủ hộ",
		"rel.spouse":     "Vợ/chồng",
		"rel.child":      "Con",
		"rel.parent":     "Cha/mẹ",
		"rel.grandchild": "Cháu",
		"rel.sibling":    "Anh/chị/em",
		"rel.other":      "Khác",

		"doc.cmnd":     "Chứng minh nhân dân",
		"doc.cccd":     "Căn cước công dân",
		"doc.can_cuoc": "Thẻ căn cước",

		"docstatus.valid":    "Còn hiệu lực",
		"docstatus.replaced": "Đã được thay thế",
		"docstatus.lost":     "Đã báo mất",
		"docstatus.revoked":  "Đã bị thu hồi",

		"event.birth_registration":               "Đăng ký khai sinh",
		"event.initial_registration":             "Đăng ký thông tin ban đầu",
		"event.death":                            "Đăng ký khai tử",
		"event.declared_missing":                 "Tuyên bố mất tích",
		"event.marriage":                         "Đăng ký kết hôn",
		"event.divorce":                          "Ly hôn",
		"event.permanent_residence_registration": "Đăng ký thường trú",
		"event.temporary_residence_registration": "Đăng ký tạm trú",
		"event.temporary_absence_declaration":    "Khai báo tạm vắng",
		"event.name_change":                      "Thay đổi họ tên",
		"event.household_split":                  "Tách hộ",
		"event.household_head_change":            "Thay đổi chủ hộ",
		"event.id_card_issued":                   "Cấp thẻ căn cước",
		"event.correction":                       "Điều chỉnh thông tin",
		"event.records_merged":                   "Hợp nhất hồ sơ trùng",

		"country.VN": "Việt Nam",

		"value.none": "—",
		"value.yes":  "Có",
		"value.no":   "Không",

		"person.title":               "Hồ sơ công dân",
		"person.identity":            "Nhân thân",
		"person.birth":               "Khai sinh và quê quán",
		"person.residence":           "Cư trú",
		"person.documents":           "Giấy tờ tùy thân",
		"person.relations":           "Quan hệ gia đình",
		"person.household":           "Hộ gia đình",
		"person.status":              "Tình trạng",
		"person.contact":             "Liên hệ",
		"person.history":             "Lịch sử thay đổi",
		"person.as_of":               "Xem hồ sơ tại ngày",
		"person.as_of_hint":          "dd/mm/yyyy hoặc yyyy-mm-dd",
		"person.as_of_submit":        "Xem",
		"person.as_of_current":       "Về hồ sơ hiện tại",
		"person.viewing_as_of":       "Đang xem hồ sơ như tại ngày %s (phiên bản %d). Đây không phải hồ sơ hiện tại.",
		"person.no_record_at":        "Chưa có hồ sơ của công dân này tại ngày %s.",
		"person.err.as_of":           "Ngày không hợp lệ; hãy nhập theo dạng dd/mm/yyyy hoặc yyyy-mm-dd.",
		"person.version":             "Phiên bản %d · hiệu lực từ %s",
		"person.open_household":      "Xem hộ gia đình",
		"person.no_documents":        "Chưa có giấy tờ nào được cấp.",
		"person.no_relations":        "Không có quan hệ gia đình nào được ghi nhận.",
		"person.no_household":        "Không thuộc hộ gia đình nào.",
		"person.status_date.dead":    "Ngày chết",
		"person.status_date.missing": "Ngày tuyên bố mất tích",

		"history.version":    "Phiên bản",
		"history.valid_from": "Hiệu lực từ",
		"history.recorded":   "Ghi nhận lúc",
		"history.event":      "Sự kiện",
		"history.actor":      "Người thực hiện",
		"history.reason":     "Căn cứ",
		"history.changes":    "Nội dung thay đổi",
		"history.created":    "Tạo hồ sơ.",
		"history.no_changes": "Phiên bản này không thay đổi thông tin nào trong hồ sơ.",
		"history.field":      "Thông tin",
		"history.before":     "Trước",
		"history.after":      "Sau",
		"history.view":       "Xem hồ sơ tại ngày này",
		"history.shown":      "Đang xem",

		"household.title":          "Hộ gia đình",
		"household.id":             "Mã hộ",
		"household.address":        "Địa chỉ thường trú của hộ",
		"household.file_number":    "Số hồ sơ cư trú",
		"household.head":           "Chủ hộ",
		"household.members":        "Thành viên",
		"household.dissolved":      "Hộ đã chấm dứt từ ngày %s.",
		"household.version":        "Phiên bản %d · cập nhật từ %s",
		"household.missing_record": "(không tìm thấy hồ sơ)",
		"household.no_head":        "Hộ chưa có chủ hộ.",

		"field.pin":                      "Số định danh cá nhân",
		"field.full_name":                "Họ, chữ đệm và tên khai sinh",
		"field.other_name":               "Tên gọi khác",
		"field.birth_date":               "Ngày, tháng, năm sinh",
		"field.sex":                      "Giới tính",
		"field.place_of_birth":           "Nơi sinh",
		"field.birth_registration_place": "Nơi đăng ký khai sinh",
		"field.hometown":                 "Quê quán",
		"field.ethnicity":                "Dân tộc",
		"field.religion":                 "Tôn giáo",
		"field.nationality":              "Quốc tịch",
		"field.blood_type":               "Nhóm máu",
		"field.old_id_number":            "Số CMND 9 số",
		"field.documents":                "Giấy tờ tùy thân",
		"field.father":                   "Cha",
		"field.mother":                   "Mẹ",
		"field.spouse":                   "Vợ/chồng",
		"field.children":                 "Con",
		"field.legal_representative":     "Người đại diện hợp pháp",
		"field.represented":              "Người được đại diện",
		"field.permanent_residence":      "Nơi thường trú",
		"field.temporary_residence":      "Nơi tạm trú",
		"field.current_residence":        "Nơi ở hiện tại",
		"field.temporary_absence":        "Tạm vắng",
		"field.residence_file_number":    "Số hồ sơ cư trú",
		"field.marital_status":           "Tình trạng hôn nhân",
		"field.household_id":             "Mã hộ gia đình",
		"field.relationship_to_head":     "Quan hệ với chủ hộ",
		"field.status":                   "Tình trạng",
		"field.state":                    "Tình trạng",
		"field.date":                     "Ngày",
		"field.phone":                    "Số điện thoại",
		"field.email":                    "Thư điện tử",
		"field.linked_pins":              "Số định danh liên kết",
		"field.province":                 "Tỉnh/thành phố",
		"field.commune":                  "Xã/phường",
		"field.country":                  "Quốc gia",
		"field.text":                     "Mô tả",
		"field.address":                  "Địa chỉ",
		"field.valid_from":               "Từ ngày",
		"field.valid_to":                 "Đến ngày",
		"field.from":                     "Từ ngày",
		"field.to":                       "Đến ngày",
		"field.destination":              "Nơi đến",
		"field.kind":                     "Loại giấy tờ",
		"field.number":                   "Số",
		"field.issue_date":               "Ngày cấp",
		"field.issue_place":              "Nơi cấp",
		"field.expiry":                   "Có giá trị đến",
		"field.chip":                     "Gắn chip",

		"nav.events":   "Ghi nhận sự kiện",
		"nav.staff":    "Quản lý cán bộ",
		"nav.password": "Đổi mật khẩu",

		"login.staff_intro":      "Đăng nhập bằng tên đăng nhập, mật khẩu và mã xác thực 6 chữ số từ ứng dụng xác thực trên điện thoại. Phiên đăng nhập có hiệu lực 8 giờ.",
		"login.username":         "Tên đăng nhập",
		"login.password":         "Mật khẩu",
		"login.code":             "Mã xác thực",
		"login.code_hint":        "6 chữ số, thay đổi sau mỗi 30 giây.",
		"login.bad_credentials":  "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng, hoặc tài khoản đã bị vô hiệu hoá.",
		"login.locked":           "Đăng nhập sai quá nhiều lần: tài khoản tạm thời bị khoá. Hãy thử lại sau ít phút.",
		"login.bootstrap":        "Thiết lập ban đầu",
		"login.bootstrap_closed": "Đã có tài khoản quản trị viên cấp quốc gia: mã truy cập quản trị không còn dùng để đăng nhập.",

		"role.national_admin": "Quản trị viên cấp quốc gia",
		"role.registrar":      "Cán bộ đăng ký",
		"role.auditor":        "Kiểm toán viên",
		"role.statistician":   "Cán bộ thống kê",

		"staff.title":            "Tài khoản cán bộ",
		"staff.new":              "Tạo tài khoản",
		"staff.new_title":        "Tạo tài khoản cán bộ",
		"staff.edit_title":       "Tài khoản",
		"staff.username":         "Tên đăng nhập",
		"staff.username_hint":    "3–32 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang; bắt đầu bằng chữ cái.",
		"staff.display_name":     "Họ và tên cán bộ",
		"staff.roles":            "Vai trò",
		"staff.scope":            "Địa bàn",
		"staff.scope_hint":       "Chỉ dành cho cán bộ đăng ký: mã tỉnh (79) hoặc tỉnh:xã (01:00004), cách nhau bằng dấu phẩy.",
		"staff.status":           "Trạng thái",
		"staff.national":         "Toàn quốc",
		"staff.active":           "Đang hoạt động",
		"staff.disabled":         "Đã vô hiệu hoá",
		"staff.locked":           "Tạm khoá",
		"staff.none":             "Chưa có tài khoản cán bộ nào.",
		"staff.create":           "Tạo tài khoản",
		"staff.save":             "Lưu vai trò và địa bàn",
		"staff.saved":            "Đã lưu.",
		"staff.back":             "Về danh sách tài khoản",
		"staff.back_account":     "Về trang tài khoản",
		"staff.manage":           "Quản lý tài khoản",
		"staff.disable":          "Vô hiệu hoá tài khoản",
		"staff.enable":           "Kích hoạt lại tài khoản",
		"staff.reset":            "Cấp lại mật khẩu và mã xác thực",
		"staff.reset_hint":       "Cấp mật khẩu dùng một lần và khoá xác thực mới, mở khoá tài khoản và kết thúc các phiên đăng nhập của tài khoản.",
		"staff.enrol_title":      "Thông tin đăng nhập",
		"staff.enrol_once":       "Thông tin dưới đây chỉ hiển thị một lần. Hãy trao trực tiếp cho cán bộ; cán bộ phải đổi mật khẩu ở lần đăng nhập đầu tiên.",
		"staff.initial_password": "Mật khẩu dùng một lần",
		"staff.totp_secret":      "Khoá xác thực (nhập tay vào ứng dụng)",
		"staff.totp_uri":         "Địa chỉ otpauth://",
		"staff.enrol_hint":       "Thêm tài khoản vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, FreeOTP…) bằng cách nhập khoá xác thực: loại theo thời gian, 6 chữ số, 30 giây.",
		"staff.err.exists":       "Tên đăng nhập này đã được dùng.",
		"staff.err.input":        "Thông tin chưa hợp lệ",
		"staff.err.scope":        "Địa bàn không hợp lệ",
		"staff.err.self":         "Không thể tự vô hiệu hoá hay tự bỏ vai trò quản trị viên của chính mình.",

		"password.title":         "Đổi mật khẩu",
		"password.must":          "Mật khẩu hiện tại là mật khẩu được cấp: hãy đặt mật khẩu mới trước khi tiếp tục.",
		"password.current":       "Mật khẩu hiện tại",
		"password.new":           "Mật khẩu mới",
		"password.confirm":       "Nhập lại mật khẩu mới",
		"password.hint":          "Ít nhất 12 ký tự. Nên dùng một cụm từ dễ nhớ.",
		"password.submit":        "Đổi mật khẩu",
		"password.changed":       "Đã đổi mật khẩu.",
		"password.mismatch":      "Hai lần nhập mật khẩu mới không khớp.",
		"password.weak":          "Mật khẩu mới phải có ít nhất 12 ký tự và khác mật khẩu hiện tại.",
		"password.wrong_current": "Mật khẩu hiện tại không đúng.",

		"event.title":           "Ghi nhận sự kiện hộ tịch, cư trú",
		"event.json":            "Sự kiện (JSON, như nội dung gửi tới POST /v1/events)",
		"event.hint":            "Các loại sự kiện:",
		"event.if_match":        "Phiên bản hồ sơ đã xem (ETag, không bắt buộc)",
		"event.submit":          "Ghi nhận",
		"event.recorded":        "Đã ghi nhận sự kiện %s.",
		"event.new_pin":         "Số định danh cá nhân được cấp:",
		"event.err.json":        "Nội dung không phải là JSON hợp lệ của một sự kiện.",
		"event.err.forbidden":   "Sự kiện liên quan đến công dân ngoài địa bàn được giao: không được ghi nhận.",
		"event.err.registry":    "Sự kiện không được ghi nhận",
		"event.dup.title":       "Người này có thể đã có trong Cơ sở dữ liệu",
		"event.dup.intro":       "Chưa cấp số định danh: các hồ sơ sau có thể là cùng một người. Hãy kiểm tra từng hồ sơ.",
		"event.dup.pin":         "Số định danh",
		"event.dup.weight":      "Trọng số",
		"event.dup.probability": "Xác suất",
		"event.dup.evidence":    "Mức khớp từng trường",
		"event.dup.hidden":      "%d hồ sơ khác ngoài địa bàn được xem; cán bộ có thẩm quyền sẽ rà soát trong danh sách hồ sơ trùng.",
		"event.dup.confirm":     "Nếu đúng là người khác, gửi lại với \"confirm_not_duplicate\": true và \"not_duplicate_reason\" trong data; các cặp hồ sơ vẫn được đưa vào danh sách rà soát trùng.",
		"error.forbidden.role":  "Vai trò hoặc địa bàn của bạn không cho phép thao tác này.",
		"error.not_found.staff": "Không có tài khoản cán bộ này.",

		"error.not_found.title":     "Không tìm thấy",
		"error.not_found.person":    "Không có công dân nào mang số định danh cá nhân này.",
		"error.not_found.household": "Không có hộ gia đình nào mang mã này.",
		"error.not_found.page":      "Trang này không tồn tại.",
		"error.forbidden.title":     "Yêu cầu bị từ chối",
		"error.invalid.title":       "Yêu cầu không hợp lệ",
		"error.forbidden.csrf":      "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi thử lại.",
		"error.internal.title":      "Đã xảy ra lỗi",
		"error.internal.body":       "Hệ thống không xử lý được yêu cầu. Hãy thử lại sau ít phút; nếu lỗi còn tiếp diễn, hãy báo cho bộ phận kỹ thuật kèm mã yêu cầu dưới đây.",
		"error.unavailable.body":    "Kho dữ liệu tạm thời không nhận yêu cầu này và chưa có gì bị thay đổi. Hãy thử lại sau ít phút; nếu lỗi còn tiếp diễn, hãy báo cho bộ phận kỹ thuật kèm mã yêu cầu dưới đây.",
		"error.request_id":          "Mã yêu cầu: %s",
		"error.back":                "Về trang tra cứu",
	},
	langEN: {
		"app.name":         "dancu — Cơ sở dữ liệu quốc gia về dân cư",
		"app.console":      "National population database · officers' console",
		"app.skip":         "Skip to main content",
		"app.footer":       "Personal data — for official use only. Do not share or take screenshots.",
		"nav.search":       "Search",
		"nav.signed_in_as": "Officer: %s",
		"nav.sign_out":     "Sign out",
		"nav.language":     "Language",
		"lang.vi":          "Tiếng Việt",
		"lang.en":          "English",

		"login.title":      "Sign in",
		"login.intro":      "Paste the administrator token to sign in. A session lasts 8 hours.",
		"login.token":      "Token",
		"login.submit":     "Sign in",
		"login.bad_token":  "The token is not valid.",
		"login.expired":    "The sign-in form had expired. Please enter the token again.",
		"login.signed_out": "You have signed out.",

		"search.title":                "Search citizens",
		"search.criteria":             "Search criteria",
		"search.name":                 "Full name",
		"search.name_hint":            "With or without diacritics, e.g. Nguyễn Văn An or nguyen van an. The start of a name is enough: nguyen van.",
		"search.birth_year":           "Year of birth",
		"search.sex":                  "Sex",
		"search.any":                  "Any",
		"search.province":             "Province of permanent residence",
		"search.commune":              "Commune code of permanent residence",
		"search.commune_hint":         "5 digits, e.g. 26740",
		"search.submit":               "Search",
		"search.clear":                "Clear",
		"search.by_pin":               "Look up by personal identification number",
		"search.pin":                  "Personal identification number",
		"search.pin_hint":             "12 digits",
		"search.open":                 "Open record",
		"search.results":              "Results",
		"search.showing":              "Showing %d results on this page.",
		"search.no_results":           "No citizen matches the search.",
		"search.next":                 "Next page",
		"search.first":                "First page",
		"search.err.title":            "The search needs correcting",
		"search.err.need_criterion":   "Give at least one criterion: a name, a year of birth, a province or a commune code.",
		"search.err.name_no_letters":  "The name must contain at least one letter.",
		"search.err.name_too_long":    "The name is too long (at most 100 characters).",
		"search.err.birth_year":       "The year of birth must be a four-digit year, such as 1985.",
		"search.err.sex":              "Unknown sex.",
		"search.err.province":         "Unknown province.",
		"search.err.commune":          "The commune code must be the 5 digits of a current commune.",
		"search.err.commune_province": "That commune is not in the chosen province.",
		"search.err.cursor":           "The next-page link is no longer valid; please search again.",
		"search.err.pin":              "Not a valid personal identification number: it has 12 digits.",
		"search.err.generic":          "Invalid input (%s: %s).",

		"col.pin":          "PIN",
		"col.full_name":    "Full name",
		"col.birth":        "Date of birth",
		"col.sex":          "Sex",
		"col.residence":    "Permanent residence",
		"col.status":       "Status",
		"col.relationship": "Relationship to head",

		"sex.male":   "Male",
		"sex.female": "Female",

		"state.alive":   "Alive",
		"state.dead":    "Dead",
		"state.missing": "Missing",

		"marital.single":   "Single",
		"marital.married":  "Married",
		"marital.divorced": "Divorced",
		"marital.widowed":  "Widowed",

		"rel.head":       "Head",
		"rel.spouse":     "Spouse",
		"rel.child":      "Child",
		"rel.parent":     "Parent",
		"rel.grandchild": "Grandchild",
		"rel.sibling":    "Sibling",
		"rel.other":      "Other",

		"doc.cmnd":     "People's identity card (CMND)",
		"doc.cccd":     "Citizen identity card (CCCD)",
		"doc.can_cuoc": "Identity card (căn cước)",

		"docstatus.valid":    "Valid",
		"docstatus.replaced": "Replaced",
		"docstatus.lost":     "Reported lost",
		"docstatus.revoked":  "Revoked",

		"event.birth_registration":               "Birth registration",
		"event.initial_registration":             "Initial registration",
		"event.death":                            "Death registration",
		"event.declared_missing":                 "Declared missing",
		"event.marriage":                         "Marriage",
		"event.divorce":                          "Divorce",
		"event.permanent_residence_registration": "Permanent residence registration",
		"event.temporary_residence_registration": "Temporary residence registration",
		"event.temporary_absence_declaration":    "Temporary absence declaration",
		"event.name_change":                      "Change of name",
		"event.household_split":                  "Household split",
		"event.household_head_change":            "Change of household head",
		"event.id_card_issued":                   "Identity card issued",
		"event.correction":                       "Correction",
		"event.records_merged":                   "Duplicate records merged",

		"country.VN": "Viet Nam",

		"value.none": "—",
		"value.yes":  "Yes",
		"value.no":   "No",

		"person.title":               "Citizen record",
		"person.identity":            "Identity",
		"person.birth":               "Birth and hometown",
		"person.residence":           "Residence",
		"person.documents":           "Identity documents",
		"person.relations":           "Family relations",
		"person.household":           "Household",
		"person.status":              "Status",
		"person.contact":             "Contact",
		"person.history":             "History of changes",
		"person.as_of":               "View the record as of",
		"person.as_of_hint":          "yyyy-mm-dd or dd/mm/yyyy",
		"person.as_of_submit":        "View",
		"person.as_of_current":       "Back to the current record",
		"person.viewing_as_of":       "Showing the record as of %s (version %d). This is not the current record.",
		"person.no_record_at":        "There was no record of this person on %s.",
		"person.err.as_of":           "Not a valid date; use yyyy-mm-dd or dd/mm/yyyy.",
		"person.version":             "Version %d · valid from %s",
		"person.open_household":      "Open household",
		"person.no_documents":        "No document issued.",
		"person.no_relations":        "No family relation on record.",
		"person.no_household":        "Not a member of any household.",
		"person.status_date.dead":    "Date of death",
		"person.status_date.missing": "Declared missing on",

		"history.version":    "Version",
		"history.valid_from": "Valid from",
		"history.recorded":   "Recorded at",
		"history.event":      "Event",
		"history.actor":      "Actor",
		"history.reason":     "Reason",
		"history.changes":    "Changes",
		"history.created":    "Record created.",
		"history.no_changes": "This version changed nothing in the record.",
		"history.field":      "Field",
		"history.before":     "Before",
		"history.after":      "After",
		"history.view":       "View the record on this date",
		"history.shown":      "Shown",

		"household.title":          "Household",
		"household.id":             "Household id",
		"household.address":        "Permanent address",
		"household.file_number":    "Residence file number",
		"household.head":           "Head of household",
		"household.members":        "Members",
		"household.dissolved":      "The household was dissolved on %s.",
		"household.version":        "Version %d · updated from %s",
		"household.missing_record": "(no record found)",
		"household.no_head":        "The household has no head.",

		"field.pin":                      "Personal identification number",
		"field.full_name":                "Full name at birth",
		"field.other_name":               "Other name",
		"field.birth_date":               "Date of birth",
		"field.sex":                      "Sex",
		"field.place_of_birth":           "Place of birth",
		"field.birth_registration_place": "Place of birth registration",
		"field.hometown":                 "Hometown",
		"field.ethnicity":                "Ethnicity",
		"field.religion":                 "Religion",
		"field.nationality":              "Nationality",
		"field.blood_type":               "Blood type",
		"field.old_id_number":            "Old 9-digit ID number",
		"field.documents":                "Identity documents",
		"field.father":                   "Father",
		"field.mother":                   "Mother",
		"field.spouse":                   "Spouse",
		"field.children":                 "Children",
		"field.legal_representative":     "Legal representative",
		"field.represented":              "Represented persons",
		"field.permanent_residence":      "Permanent residence",
		"field.temporary_residence":      "Temporary residence",
		"field.current_residence":        "Current residence",
		"field.temporary_absence":        "Temporary absence",
		"field.residence_file_number":    "Residence file number",
		"field.marital_status":           "Marital status",
		"field.household_id":             "Household id",
		"field.relationship_to_head":     "Relationship to head",
		"field.status":                   "Status",
		"field.state":                    "Status",
		"field.date":                     "Date",
		"field.phone":                    "Phone",
		"field.email":                    "Email",
		"field.linked_pins":              "Linked PINs",
		"field.province":                 "Province",
		"field.commune":                  "Commune",
		"field.country":                  "Country",
		"field.text":                     "Description",
		"field.address":                  "Address",
		"field.valid_from":               "From",
		"field.valid_to":                 "Until",
		"field.from":                     "From",
		"field.to":                       "Until",
		"field.destination":              "Destination",
		"field.kind":                     "Document type",
		"field.number":                   "Number",
		"field.issue_date":               "Date of issue",
		"field.issue_place":              "Place of issue",
		"field.expiry":                   "Valid until",
		"field.chip":                     "Chip",

		"nav.events":   "Record an event",
		"nav.staff":    "Staff accounts",
		"nav.password": "Change password",

		"login.staff_intro":      "Sign in with your username, password and the 6-digit code from the authenticator app on your phone. A session lasts 8 hours.",
		"login.username":         "Username",
		"login.password":         "Password",
		"login.code":             "Authentication code",
		"login.code_hint":        "6 digits; it changes every 30 seconds.",
		"login.bad_credentials":  "The username, password or code is wrong, or the account is disabled.",
		"login.locked":           "Too many failed attempts: the account is locked for a while. Try again in a few minutes.",
		"login.bootstrap":        "First set-up",
		"login.bootstrap_closed": "A national administrator account exists: the administrator token no longer signs in.",

		"role.national_admin": "National administrator",
		"role.registrar":      "Registrar",
		"role.auditor":        "Auditor",
		"role.statistician":   "Statistician",

		"staff.title":            "Staff accounts",
		"staff.new":              "Create an account",
		"staff.new_title":        "Create a staff account",
		"staff.edit_title":       "Account",
		"staff.username":         "Username",
		"staff.username_hint":    "3–32 characters: lower-case letters without accents, digits, dot, underscore, hyphen; starting with a letter.",
		"staff.display_name":     "Officer's full name",
		"staff.roles":            "Roles",
		"staff.scope":            "Units",
		"staff.scope_hint":       "Registrars only: a province code (79) or province:commune (01:00004), separated by commas.",
		"staff.status":           "Status",
		"staff.national":         "Nationwide",
		"staff.active":           "Active",
		"staff.disabled":         "Disabled",
		"staff.locked":           "Locked",
		"staff.none":             "No staff accounts yet.",
		"staff.create":           "Create account",
		"staff.save":             "Save roles and units",
		"staff.saved":            "Saved.",
		"staff.back":             "Back to the account list",
		"staff.back_account":     "Back to the account",
		"staff.manage":           "Manage the account",
		"staff.disable":          "Disable the account",
		"staff.enable":           "Enable the account again",
		"staff.reset":            "Reset password and authenticator",
		"staff.reset_hint":       "Issues a one-time password and a new authenticator key, unlocks the account and ends its sessions.",
		"staff.enrol_title":      "Sign-in details",
		"staff.enrol_once":       "These details are shown only once. Hand them to the officer in person; they must change the password at first sign-in.",
		"staff.initial_password": "One-time password",
		"staff.totp_secret":      "Authenticator key (to type into the app)",
		"staff.totp_uri":         "otpauth:// URI",
		"staff.enrol_hint":       "Add the account to an authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP…) by typing the key: time-based, 6 digits, 30 seconds.",
		"staff.err.exists":       "This username is taken.",
		"staff.err.input":        "The details are not valid",
		"staff.err.scope":        "The units are not valid",
		"staff.err.self":         "You cannot disable your own account or remove your own administrator role.",

		"password.title":         "Change password",
		"password.must":          "Your password was issued to you: set a new one before you continue.",
		"password.current":       "Current password",
		"password.new":           "New password",
		"password.confirm":       "New password again",
		"password.hint":          "At least 12 characters. A memorable phrase works well.",
		"password.submit":        "Change password",
		"password.changed":       "Your password has been changed.",
		"password.mismatch":      "The two new passwords differ.",
		"password.weak":          "The new password must have at least 12 characters and differ from the current one.",
		"password.wrong_current": "The current password is wrong.",

		"event.title":           "Record a civil status or residence event",
		"event.json":            "Event (JSON, as the body of POST /v1/events)",
		"event.hint":            "Event types:",
		"event.if_match":        "Version of the record you read (ETag, optional)",
		"event.submit":          "Record",
		"event.recorded":        "Event %s recorded.",
		"event.new_pin":         "Personal identification number allocated:",
		"event.err.json":        "This is not the valid JSON of an event.",
		"event.err.forbidden":   "The event concerns people outside your units: not recorded.",
		"event.err.registry":    "The event was not recorded",
		"event.dup.title":       "This person may already be on record",
		"event.dup.intro":       "No PIN was allocated: the records below may be the same person. Check each of them.",
		"event.dup.pin":         "PIN",
		"event.dup.weight":      "Weight",
		"event.dup.probability": "Probability",
		"event.dup.evidence":    "Agreement per field",
		"event.dup.hidden":      "%d other records outside the units you may read; an officer with a wider view reviews them in the duplicates queue.",
		"event.dup.confirm":     "If this is another person, submit again with \"confirm_not_duplicate\": true and a \"not_duplicate_reason\" in data; the pairs still go to the duplicates review queue.",
		"error.forbidden.role":  "Your roles or units do not allow this.",
		"error.not_found.staff": "There is no such staff account.",

		"error.not_found.title":     "Not found",
		"error.not_found.person":    "No person has this personal identification number.",
		"error.not_found.household": "No household has this id.",
		"error.not_found.page":      "This page does not exist.",
		"error.forbidden.title":     "Request refused",
		"error.invalid.title":       "Request not valid",
		"error.forbidden.csrf":      "The form had expired or was not valid. Reload the page and try again.",
		"error.internal.title":      "Something went wrong",
		"error.internal.body":       "The system could not handle the request. Try again in a few minutes; if it keeps failing, tell the technical team the request id below.",
		"error.unavailable.body":    "The data store cannot take this request right now, and nothing was changed. Try again in a few minutes; if it keeps failing, tell the technical team the request id below.",
		"error.request_id":          "Request id: %s",
		"error.back":                "Back to search",
	},
}

// missingMark brackets the key of a message that is not in the catalogue, so
// that a gap shows on the page (and tests fail) instead of an empty string.
const missingMark = "⟦"

// catalogue looks up messages and formats dates for one language.
type catalogue struct {
	lang string
	msgs map[string]string
}

func catalogueFor(lang string) catalogue {
	if _, ok := messages[lang]; !ok {
		lang = defaultLang
	}
	return catalogue{lang: lang, msgs: messages[lang]}
}

// T returns the message key, formatted with args when it takes any.
func (c catalogue) T(key string, args ...any) string {
	s, ok := c.msgs[key]
	if !ok {
		return missingMark + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// has reports whether the catalogue holds key, for values that are looked up
// by code (event types, enums) and shown raw when the code is unknown.
func (c catalogue) has(key string) bool { _, ok := c.msgs[key]; return ok }

// label returns the message for prefix+code, or the code itself when the
// catalogue does not know it (a new event type, a value from a newer release).
// EventLabel names a life-event type in a language ("vi" or "en"), or
// returns the type itself when the catalogue has no label for it yet, so
// that the console's sections name events as its own pages do.
func EventLabel(lang, code string) string { return catalogueFor(lang).label("event.", code) }

func (c catalogue) label(prefix, code string) string {
	if code == "" {
		return ""
	}
	if s, ok := c.msgs[prefix+code]; ok {
		return s
	}
	return code
}

// Date formats a possibly partial registry date: dd/mm/yyyy (or mm/yyyy,
// yyyy) in Vietnamese as on Vietnamese documents, ISO 8601 in English.
func (c catalogue) Date(d registry.Date) string {
	if d.IsZero() {
		return ""
	}
	if c.lang != langVI {
		return d.String()
	}
	switch {
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// Time formats an instant in Vietnam's time zone, the zone officers work in.
func (c catalogue) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(registry.Vietnam)
	if c.lang == langVI {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// langCookie remembers the language an officer chose.
const langCookie = "dancu_lang"

// chooseLang picks the language of a request: ?lang= (remembered in a
// cookie, so the switch is a plain link that works without JavaScript), then
// the cookie, then Vietnamese.
func chooseLang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if _, ok := messages[q]; ok {
			http.SetCookie(w, &http.Cookie{
				Name: langCookie, Value: q, Path: consolePrefix, MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
			})
			return q
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := messages[c.Value]; ok {
			return c.Value
		}
	}
	return defaultLang
}
