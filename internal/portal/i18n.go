package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// The portal's languages; Vietnamese is the default.
const (
	langVI      = "vi"
	langEN      = "en"
	defaultLang = langVI
	langCookie  = "dancu_portal_lang"
)

var langs = []string{langVI, langEN}

// messages is the portal's catalogue. TestMessages_sameKeys keeps the
// languages in step. Keys name the page they belong to.
var messages = map[string]map[string]string{
	langVI: {
		"app.name":     "Cổng định danh điện tử công dân",
		"app.sub":      "dancu — Cơ sở dữ liệu quốc gia về dân cư",
		"app.skip":     "Bỏ qua, đến nội dung chính",
		"app.footer":   "Không bao giờ chia sẻ mật khẩu hoặc mã xác thực với bất kỳ ai, kể cả cán bộ.",
		"nav.home":     "Trang chủ",
		"nav.me":       "Dữ liệu của tôi",
		"nav.tracker":  "Ai đã dùng dữ liệu của tôi",
		"nav.apps":     "Ứng dụng đã kết nối",
		"nav.sessions": "Phiên đăng nhập",
		"nav.events":   "Hoạt động tài khoản",
		"nav.security": "Bảo mật",
		"nav.orgs":     "Tổ chức",
		"nav.signin":   "Đăng nhập",
		"nav.register": "Đăng ký",
		"nav.signout":  "Đăng xuất",
		"nav.language": "Ngôn ngữ",
		"lang.vi":      "Tiếng Việt",
		"lang.en":      "English",
		"level":        "Mức %d",

		"home.title":         "Tài khoản định danh điện tử",
		"home.intro":         "Công dân từ 14 tuổi trở lên đăng ký tài khoản mức 1 trực tuyến. Để nâng lên mức 2, hãy mang thẻ căn cước gắn chip đến cơ quan công an.",
		"home.welcome":       "Xin chào. Tài khoản của bạn ở mức %d.",
		"home.level2_hint":   "Tài khoản mức 2 có giá trị như xuất trình thẻ căn cước và cho phép xem dữ liệu từ các cơ sở dữ liệu khác. Hãy mang thẻ căn cước gắn chip đến cơ quan công an để được xác thực trực tiếp.",
		"home.no_totp":       "Bạn chưa cài ứng dụng xác thực. Hãy cài đặt để đăng nhập an toàn hơn.",
		"home.setup_totp":    "Cài ứng dụng xác thực",
		"home.must_change":   "Mật khẩu của bạn do cán bộ đặt lại. Hãy đổi mật khẩu ngay.",
		"home.children":      "Con dưới 14 tuổi",
		"home.children_none": "Không có con dưới 14 tuổi trong cơ sở dữ liệu.",

		"register.title":         "Đăng ký tài khoản mức 1",
		"register.intro":         "Nhập đúng thông tin như trong Cơ sở dữ liệu quốc gia về dân cư. Nếu thông tin khớp, mã xác thực sẽ được gửi đến số điện thoại đã đăng ký.",
		"register.pin":           "Số định danh cá nhân",
		"register.pin_hint":      "12 chữ số",
		"register.name":          "Họ và tên",
		"register.birth":         "Ngày sinh",
		"register.phone":         "Số điện thoại di động",
		"register.submit":        "Tiếp tục",
		"register.no_sms":        "Hệ thống chưa cấu hình gửi tin nhắn nên chưa thể đăng ký trực tuyến.",
		"register.code_title":    "Nhập mã xác thực và đặt mật khẩu",
		"register.code_intro":    "Nếu thông tin bạn nhập khớp với cơ sở dữ liệu và bạn chưa có tài khoản, một mã gồm 6 chữ số đã được gửi đến số điện thoại của bạn. Mã có hiệu lực 10 phút.",
		"register.code":          "Mã xác thực",
		"register.password":      "Mật khẩu",
		"register.password_hint": "Ít nhất 10 ký tự; không chứa số định danh hay số điện thoại.",
		"register.password2":     "Nhập lại mật khẩu",
		"register.create":        "Tạo tài khoản",
		"register.bad_code":      "Mã xác thực không đúng hoặc đã hết hạn. Nếu thông tin bạn nhập không khớp với cơ sở dữ liệu, sẽ không có mã nào được gửi.",
		"register.mismatch":      "Hai mật khẩu không giống nhau.",
		"register.exists":        "Số định danh này đã có tài khoản. Hãy đăng nhập.",
		"register.done":          "Đã tạo tài khoản mức 1.",

		"signin.title":      "Đăng nhập",
		"signin.pin":        "Số định danh cá nhân",
		"signin.password":   "Mật khẩu",
		"signin.submit":     "Đăng nhập",
		"signin.failed":     "Số định danh, mật khẩu hoặc mã không đúng.",
		"signin.locked":     "Có quá nhiều lần đăng nhập sai. Hãy thử lại sau %s.",
		"signin.rate":       "Có quá nhiều lần thử. Hãy thử lại sau %s.",
		"signin.second":     "Bước 2: xác thực",
		"signin.totp":       "Mã từ ứng dụng xác thực",
		"signin.sms":        "Mã gửi qua tin nhắn SMS",
		"signin.send_sms":   "Gửi mã qua SMS",
		"signin.sms_sent":   "Mã đã được gửi đến số điện thoại của bạn.",
		"signin.verify":     "Xác nhận",
		"signin.expired":    "Phiên đăng nhập đã hết hạn. Hãy nhập lại mật khẩu.",
		"signin.signed_out": "Bạn đã đăng xuất.",
		"signin.again":      "Dịch vụ yêu cầu bạn đăng nhập lại để tiếp tục.",
		"signin.no_account": "Chưa có tài khoản?",
		"signin.forgot":     "Quên mật khẩu hoặc mất điện thoại? Hãy mang thẻ căn cước đến cơ quan công an để được khôi phục trực tiếp.",

		"me.title":         "Dữ liệu của tôi",
		"me.record":        "Thông tin trong Cơ sở dữ liệu quốc gia về dân cư",
		"me.pin":           "Số định danh cá nhân",
		"me.name":          "Họ và tên",
		"me.other_name":    "Tên gọi khác",
		"me.birth":         "Ngày sinh",
		"me.sex":           "Giới tính",
		"me.sex.male":      "Nam",
		"me.sex.female":    "Nữ",
		"me.ethnicity":     "Dân tộc",
		"me.nationality":   "Quốc tịch",
		"me.marital":       "Tình trạng hôn nhân",
		"me.permanent":     "Nơi thường trú",
		"me.temporary":     "Nơi tạm trú",
		"me.phone":         "Số điện thoại",
		"me.email":         "Thư điện tử",
		"me.father":        "Cha",
		"me.mother":        "Mẹ",
		"me.spouse":        "Vợ/chồng",
		"me.household":     "Mã hộ",
		"me.documents":     "Giấy tờ tuỳ thân",
		"me.linked":        "Dữ liệu từ các cơ sở dữ liệu khác",
		"me.linked_level2": "Dữ liệu từ các cơ sở dữ liệu khác chỉ hiển thị với tài khoản mức 2.",
		"me.linked_none":   "Chưa có dữ liệu liên kết.",
		"me.source":        "Nguồn",
		"me.updated":       "Cập nhật",

		"tracker.title":        "Ai đã dùng dữ liệu của tôi",
		"tracker.intro":        "Mỗi lần cơ quan, tổ chức hay cán bộ đọc hoặc ghi dữ liệu của bạn đều được ghi vào nhật ký truy cập không thể sửa. Bấm “Kiểm tra” để trình duyệt của bạn tự kiểm chứng mục đó thuộc nhật ký đã được ký, không cần tin máy chủ.",
		"tracker.checkpoint":   "Điểm kiểm tra đã ký: %d mục.",
		"tracker.no_cp":        "Chưa có điểm kiểm tra đã ký; hãy quay lại sau ít phút.",
		"tracker.none":         "Chưa có ai truy cập dữ liệu của bạn.",
		"tracker.time":         "Thời điểm",
		"tracker.who":          "Ai",
		"tracker.purpose":      "Mục đích",
		"tracker.fields":       "Dữ liệu",
		"tracker.action":       "Thao tác",
		"tracker.proof":        "Bằng chứng",
		"tracker.check":        "Kiểm tra",
		"tracker.pending":      "Chờ điểm kiểm tra sau",
		"tracker.ok":           "Đã kiểm chứng ✓",
		"tracker.bad":          "KHÔNG khớp ✗",
		"tracker.sig_ok":       "chữ ký hợp lệ",
		"tracker.sig_skip":     "trình duyệt không kiểm được chữ ký",
		"tracker.sig_bad":      "chữ ký KHÔNG hợp lệ",
		"tracker.older":        "Cũ hơn",
		"tracker.newest":       "Mới nhất",
		"tracker.kind.staff":   "Cán bộ",
		"tracker.kind.client":  "Cơ quan, tổ chức",
		"tracker.kind.admin":   "Quản trị viên",
		"tracker.kind.citizen": "Công dân",
		"tracker.kind.rp":      "Ứng dụng",

		"sessions.title":   "Phiên đăng nhập",
		"sessions.intro":   "Các trình duyệt đang đăng nhập vào tài khoản của bạn. Nếu có phiên lạ, hãy đăng xuất phiên đó và đổi mật khẩu.",
		"sessions.device":  "Thiết bị",
		"sessions.address": "Địa chỉ mạng",
		"sessions.started": "Bắt đầu",
		"sessions.seen":    "Hoạt động gần nhất",
		"sessions.this":    "Phiên này",
		"sessions.revoke":  "Đăng xuất phiên này",
		"sessions.revoked": "Đã đăng xuất phiên.",

		"events.title":                    "Hoạt động tài khoản",
		"events.when":                     "Thời điểm",
		"events.what":                     "Sự kiện",
		"events.where":                    "Thiết bị, địa chỉ",
		"events.created":                  "Tạo tài khoản",
		"events.level_raised":             "Nâng lên mức %d",
		"events.password_changed":         "Đổi mật khẩu",
		"events.new_device":               "Đăng nhập từ thiết bị mới",
		"events.signed_in":                "Đăng nhập",
		"events.sign_in_failed":           "Đăng nhập thất bại",
		"events.locked":                   "Tạm khoá do đăng nhập sai nhiều lần",
		"events.totp_enrolled":            "Cài ứng dụng xác thực",
		"events.session_revoked":          "Đăng xuất một phiên",
		"events.recovered":                "Khôi phục tài khoản tại cơ quan công an",
		"events.organisation_registered":  "Đăng ký tài khoản tổ chức",
		"events.representative_changed":   "Đổi người đại diện theo pháp luật",
		"events.organisation_handed_over": "Chuyển tổ chức cho người đại diện mới",
		"events.organisation_received":    "Trở thành người đại diện của tổ chức",
		"events.organisation_closed":      "Đóng tài khoản của tổ chức",
		"events.by_officer":               "Cán bộ: %s",

		"apps.title":   "Ứng dụng đã kết nối",
		"apps.intro":   "Các ứng dụng bạn đã đồng ý chia sẻ dữ liệu. Thu hồi sẽ chấm dứt quyền truy cập của ứng dụng.",
		"apps.none":    "Chưa có ứng dụng nào được kết nối.",
		"apps.app":     "Ứng dụng",
		"apps.purpose": "Mục đích",
		"apps.scopes":  "Dữ liệu được chia sẻ",
		"apps.since":   "Từ",
		"apps.revoke":  "Thu hồi",
		"apps.revoked": "Đã thu hồi quyền của ứng dụng.",

		"security.title":        "Bảo mật",
		"security.password":     "Đổi mật khẩu",
		"security.current":      "Mật khẩu hiện tại",
		"security.new":          "Mật khẩu mới",
		"security.new2":         "Nhập lại mật khẩu mới",
		"security.change":       "Đổi mật khẩu",
		"security.changed":      "Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất.",
		"security.totp":         "Ứng dụng xác thực",
		"security.totp_on":      "Đã cài ứng dụng xác thực.",
		"security.totp_off":     "Chưa cài ứng dụng xác thực.",
		"security.totp_begin":   "Cài (hoặc cài lại) ứng dụng xác thực",
		"security.totp_steps":   "Quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…), hoặc thêm tài khoản bằng khoá bí mật dưới đây, rồi nhập mã 6 chữ số ứng dụng hiển thị.",
		"security.totp_secret":  "Khoá bí mật",
		"security.totp_uri":     "Liên kết otpauth",
		"security.totp_code":    "Mã từ ứng dụng",
		"security.totp_confirm": "Xác nhận",
		"security.totp_done":    "Đã cài ứng dụng xác thực.",
		"security.totp_bad":     "Mã không đúng. Hãy kiểm tra giờ trên điện thoại và thử lại.",

		"orgs.title":          "Tài khoản tổ chức",
		"orgs.intro":          "Người đại diện theo pháp luật đăng ký tài khoản định danh điện tử cho tổ chức từ tài khoản mức 2 của mình.",
		"orgs.act":            "Dịch vụ yêu cầu đăng nhập bằng tài khoản tổ chức sẽ cho bạn chọn tổ chức trên trang đồng ý chia sẻ. Khi tổ chức đổi người đại diện, cơ quan công an chuyển tài khoản cho người mới và bạn mất quyền thay mặt tổ chức ngay.",
		"orgs.level2":         "Cần tài khoản mức 2 để đăng ký tài khoản tổ chức.",
		"orgs.name":           "Tên tổ chức",
		"orgs.tax_code":       "Mã số thuế",
		"orgs.register":       "Đăng ký",
		"orgs.done":           "Đã đăng ký tài khoản tổ chức.",
		"orgs.exists":         "Tổ chức có mã số thuế này đã có tài khoản.",
		"orgs.closed_exists":  "Tài khoản của tổ chức có mã số thuế này đã bị đóng và không đăng ký lại được.",
		"orgs.none":           "Bạn chưa đăng ký tài khoản tổ chức nào.",
		"orgs.closed":         "Đã đóng ngày %s",
		"orgs.close":          "Đóng tài khoản của tổ chức",
		"orgs.close_intro":    "Đóng tài khoản khi tổ chức giải thể hoặc không dùng nữa. Việc này không hoàn tác được: mọi dịch vụ mất quyền truy cập ngay (sự đồng ý và mã truy cập bị thu hồi), và không ai đăng nhập thay mặt tổ chức được nữa. Nhập mã số thuế của tổ chức để xác nhận.",
		"orgs.close_reason":   "Lý do (không bắt buộc)",
		"orgs.close_confirm":  "Mã số thuế của tổ chức, để xác nhận",
		"orgs.close_submit":   "Đóng tài khoản",
		"orgs.close_mismatch": "Mã số thuế nhập để xác nhận không khớp; tài khoản chưa bị đóng.",
		"orgs.closed_done":    "Đã đóng tài khoản của tổ chức. Các dịch vụ không còn truy cập được thay mặt tổ chức.",

		"err.title":            "Có lỗi",
		"err.not_found":        "Không tìm thấy trang.",
		"err.forbidden":        "Yêu cầu không hợp lệ hoặc biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại.",
		"err.internal":         "Hệ thống đang gặp sự cố. Hãy thử lại sau. Mã yêu cầu: %s",
		"err.unavailable":      "Kho dữ liệu tạm thời không nhận yêu cầu này và chưa có gì bị thay đổi. Hãy thử lại sau ít phút. Mã yêu cầu: %s",
		"err.input":            "Thông tin chưa hợp lệ: %s",
		"err.level":            "Trang này cần tài khoản mức %d.",
		"field.pin":            "số định danh phải gồm 12 chữ số",
		"field.full_name":      "hãy nhập họ và tên (tối đa 100 ký tự)",
		"field.birth_date":     "ngày sinh phải đầy đủ ngày, tháng, năm",
		"field.phone":          "số điện thoại di động Việt Nam, ví dụ 0912 345 678",
		"field.password":       "mật khẩu ít nhất 10 ký tự, không chứa số định danh hay số điện thoại, khác mật khẩu cũ",
		"field.name":           "tên tổ chức từ 2 đến 200 ký tự",
		"field.tax_code":       "mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số",
		"field.reason":         "lý do tối đa 200 ký tự",
		"field.tax_code_check": "mã số thuế này không đúng (chữ số kiểm tra thứ 10 không khớp với 9 chữ số đầu); hãy kiểm tra lỗi gõ",
	},
	langEN: {
		"app.name":     "Citizens' electronic identification portal",
		"app.sub":      "dancu — National population database",
		"app.skip":     "Skip to main content",
		"app.footer":   "Never share your password or a code with anyone, officers included.",
		"nav.home":     "Home",
		"nav.me":       "My data",
		"nav.tracker":  "Who used my data",
		"nav.apps":     "Connected apps",
		"nav.sessions": "Sessions",
		"nav.events":   "Account activity",
		"nav.security": "Security",
		"nav.orgs":     "Organisations",
		"nav.signin":   "Sign in",
		"nav.register": "Register",
		"nav.signout":  "Sign out",
		"nav.language": "Language",
		"lang.vi":      "Tiếng Việt",
		"lang.en":      "English",
		"level":        "Level %d",

		"home.title":         "Electronic identification account",
		"home.intro":         "Citizens aged 14 and over register a level-1 account online. To reach level 2, bring your chip ID card to a police station.",
		"home.welcome":       "Hello. Your account is at level %d.",
		"home.level2_hint":   "A level-2 account is worth the same as showing your ID card and unlocks data from other databases. Bring your chip ID card to a police station to be checked in person.",
		"home.no_totp":       "You have not set up an authenticator app. Set one up to sign in more safely.",
		"home.setup_totp":    "Set up an authenticator app",
		"home.must_change":   "Your password was reset by an officer. Change it now.",
		"home.children":      "Children under 14",
		"home.children_none": "No children under 14 on record.",

		"register.title":         "Register a level-1 account",
		"register.intro":         "Enter your details exactly as the national population database holds them. If they match, a code is sent to the phone number on record.",
		"register.pin":           "Personal identification number",
		"register.pin_hint":      "12 digits",
		"register.name":          "Full name",
		"register.birth":         "Date of birth",
		"register.phone":         "Mobile phone number",
		"register.submit":        "Continue",
		"register.no_sms":        "Text messages are not configured, so registration is not available online yet.",
		"register.code_title":    "Enter the code and choose a password",
		"register.code_intro":    "If your details match the database and you have no account yet, a 6-digit code was sent to your phone. It is valid for 10 minutes.",
		"register.code":          "Code",
		"register.password":      "Password",
		"register.password_hint": "At least 10 characters; not containing your identification number or phone number.",
		"register.password2":     "Repeat the password",
		"register.create":        "Create account",
		"register.bad_code":      "The code is wrong or expired. If your details did not match the database, no code was sent.",
		"register.mismatch":      "The two passwords differ.",
		"register.exists":        "This identification number already has an account. Sign in.",
		"register.done":          "Your level-1 account was created.",

		"signin.title":      "Sign in",
		"signin.pin":        "Personal identification number",
		"signin.password":   "Password",
		"signin.submit":     "Sign in",
		"signin.failed":     "The identification number, password or code is wrong.",
		"signin.locked":     "Too many failed attempts. Try again in %s.",
		"signin.rate":       "Too many attempts. Try again in %s.",
		"signin.second":     "Step 2: verification",
		"signin.totp":       "Code from your authenticator app",
		"signin.sms":        "Code sent by SMS",
		"signin.send_sms":   "Send a code by SMS",
		"signin.sms_sent":   "A code was sent to your phone.",
		"signin.verify":     "Verify",
		"signin.expired":    "The sign-in expired. Enter your password again.",
		"signin.signed_out": "You are signed out.",
		"signin.again":      "The service asks you to sign in again to continue.",
		"signin.no_account": "No account yet?",
		"signin.forgot":     "Forgot your password or lost your phone? Bring your ID card to a police station to recover your account in person.",

		"me.title":         "My data",
		"me.record":        "Your record in the national population database",
		"me.pin":           "Personal identification number",
		"me.name":          "Full name",
		"me.other_name":    "Other name",
		"me.birth":         "Date of birth",
		"me.sex":           "Sex",
		"me.sex.male":      "Male",
		"me.sex.female":    "Female",
		"me.ethnicity":     "Ethnicity",
		"me.nationality":   "Nationality",
		"me.marital":       "Marital status",
		"me.permanent":     "Permanent residence",
		"me.temporary":     "Temporary residence",
		"me.phone":         "Phone",
		"me.email":         "Email",
		"me.father":        "Father",
		"me.mother":        "Mother",
		"me.spouse":        "Spouse",
		"me.household":     "Household",
		"me.documents":     "Identity documents",
		"me.linked":        "Data from other databases",
		"me.linked_level2": "Data from other databases is shown to level-2 accounts only.",
		"me.linked_none":   "No linked data yet.",
		"me.source":        "Source",
		"me.updated":       "Updated",

		"tracker.title":        "Who used my data",
		"tracker.intro":        "Every read or write of your data by an agency, a business or an officer is an entry in a tamper-evident access log. Press “Check” and your browser verifies by itself that the entry is in the signed log, without trusting the server.",
		"tracker.checkpoint":   "Signed checkpoint: %d entries.",
		"tracker.no_cp":        "No signed checkpoint yet; come back in a few minutes.",
		"tracker.none":         "Nobody has accessed your data yet.",
		"tracker.time":         "Time",
		"tracker.who":          "Who",
		"tracker.purpose":      "Purpose",
		"tracker.fields":       "Data",
		"tracker.action":       "Action",
		"tracker.proof":        "Proof",
		"tracker.check":        "Check",
		"tracker.pending":      "Awaiting the next checkpoint",
		"tracker.ok":           "Verified ✓",
		"tracker.bad":          "Does NOT match ✗",
		"tracker.sig_ok":       "signature valid",
		"tracker.sig_skip":     "this browser cannot check the signature",
		"tracker.sig_bad":      "signature NOT valid",
		"tracker.older":        "Older",
		"tracker.newest":       "Newest",
		"tracker.kind.staff":   "Officer",
		"tracker.kind.client":  "Agency or business",
		"tracker.kind.admin":   "Administrator",
		"tracker.kind.citizen": "Citizen",
		"tracker.kind.rp":      "App",

		"sessions.title":   "Sessions",
		"sessions.intro":   "The browsers signed in to your account. If you see one you do not know, sign it out and change your password.",
		"sessions.device":  "Device",
		"sessions.address": "Network address",
		"sessions.started": "Started",
		"sessions.seen":    "Last active",
		"sessions.this":    "This session",
		"sessions.revoke":  "Sign this session out",
		"sessions.revoked": "The session was signed out.",

		"events.title":                    "Account activity",
		"events.when":                     "Time",
		"events.what":                     "Event",
		"events.where":                    "Device, address",
		"events.created":                  "Account created",
		"events.level_raised":             "Raised to level %d",
		"events.password_changed":         "Password changed",
		"events.new_device":               "Sign-in from a new device",
		"events.signed_in":                "Signed in",
		"events.sign_in_failed":           "Failed sign-in",
		"events.locked":                   "Locked after failed sign-ins",
		"events.totp_enrolled":            "Authenticator app set up",
		"events.session_revoked":          "A session signed out",
		"events.recovered":                "Account recovered at a police station",
		"events.organisation_registered":  "Organisation account registered",
		"events.representative_changed":   "Legal representative changed",
		"events.organisation_handed_over": "Organisation handed to a new representative",
		"events.organisation_received":    "Became the organisation's representative",
		"events.organisation_closed":      "Organisation account closed",
		"events.by_officer":               "Officer: %s",

		"apps.title":   "Connected apps",
		"apps.intro":   "The apps you agreed to share data with. Revoking ends the app's access.",
		"apps.none":    "No connected apps.",
		"apps.app":     "App",
		"apps.purpose": "Purpose",
		"apps.scopes":  "Data shared",
		"apps.since":   "Since",
		"apps.revoke":  "Revoke",
		"apps.revoked": "The app's access was revoked.",

		"security.title":        "Security",
		"security.password":     "Change password",
		"security.current":      "Current password",
		"security.new":          "New password",
		"security.new2":         "Repeat the new password",
		"security.change":       "Change password",
		"security.changed":      "Your password was changed. Your other sessions were signed out.",
		"security.totp":         "Authenticator app",
		"security.totp_on":      "An authenticator app is set up.",
		"security.totp_off":     "No authenticator app is set up.",
		"security.totp_begin":   "Set up (or replace) an authenticator app",
		"security.totp_steps":   "Scan the QR code with an authenticator app (Google Authenticator, Microsoft Authenticator…), or add the account with the secret key below, then enter the 6-digit code it shows.",
		"security.totp_secret":  "Secret key",
		"security.totp_uri":     "otpauth link",
		"security.totp_code":    "Code from the app",
		"security.totp_confirm": "Confirm",
		"security.totp_done":    "Your authenticator app is set up.",
		"security.totp_bad":     "The code is wrong. Check the time on your phone and try again.",

		"orgs.title":          "Organisation accounts",
		"orgs.intro":          "A legal representative registers an organisation's electronic identification account from their level-2 account.",
		"orgs.act":            "Services that ask you to sign in as an organisation let you choose it on the consent page. When the organisation changes its representative, the police hand the account to the new one and you can no longer act for it.",
		"orgs.level2":         "A level-2 account is needed to register an organisation.",
		"orgs.name":           "Organisation name",
		"orgs.tax_code":       "Tax code",
		"orgs.register":       "Register",
		"orgs.done":           "The organisation's account was registered.",
		"orgs.exists":         "The organisation with this tax code already has an account.",
		"orgs.closed_exists":  "The account of the organisation with this tax code was closed, and cannot be registered again.",
		"orgs.none":           "You have not registered any organisation.",
		"orgs.closed":         "Closed on %s",
		"orgs.close":          "Close the organisation's account",
		"orgs.close_intro":    "Close the account when the organisation is dissolved or no longer uses it. This cannot be undone: every service loses access at once (consents and tokens are revoked), and no one can sign in for the organisation any more. Type the organisation's tax code to confirm.",
		"orgs.close_reason":   "Reason (optional)",
		"orgs.close_confirm":  "The organisation's tax code, to confirm",
		"orgs.close_submit":   "Close the account",
		"orgs.close_mismatch": "The tax code typed to confirm does not match; the account was not closed.",
		"orgs.closed_done":    "The organisation's account was closed. Services can no longer act for the organisation.",

		"err.title":            "Something went wrong",
		"err.not_found":        "Page not found.",
		"err.forbidden":        "The request is not valid or the form expired. Reload the page and try again.",
		"err.internal":         "The system has a problem. Try again later. Request id: %s",
		"err.unavailable":      "The data store cannot take this request right now, and nothing was changed. Try again in a few minutes. Request id: %s",
		"err.input":            "Please correct: %s",
		"err.level":            "This page needs a level-%d account.",
		"field.pin":            "the identification number has 12 digits",
		"field.full_name":      "enter your full name (at most 100 characters)",
		"field.birth_date":     "the date of birth needs day, month and year",
		"field.phone":          "a Vietnamese mobile number, such as 0912 345 678",
		"field.password":       "a password of at least 10 characters, without your identification or phone number, different from the old one",
		"field.name":           "an organisation name of 2 to 200 characters",
		"field.tax_code":       "a tax code of 10 digits, or 10 digits, a hyphen and 3 digits",
		"field.reason":         "a reason of up to 200 characters",
		"field.tax_code_check": "this tax code is not valid (its tenth digit, the check digit, does not match the first nine); check for a typing mistake",
	},
}

// catalogue is one language's messages.
type catalogue struct {
	lang string
	msgs map[string]string
}

func catalogueFor(lang string) catalogue {
	m, ok := messages[lang]
	if !ok {
		lang, m = defaultLang, messages[defaultLang]
	}
	return catalogue{lang: lang, msgs: m}
}

// T returns the message key with args; a missing key shows itself, which a
// test catches.
func (c catalogue) T(key string, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Date writes a registry date as people of the language write it.
func (c catalogue) Date(d registry.Date) string {
	if d.IsZero() {
		return ""
	}
	switch {
	case !d.IsFull() && d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case !d.IsFull():
		return fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// Time writes a time in Vietnam's time zone.
func (c catalogue) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(registry.Vietnam).Format("02/01/2006 15:04")
}

// chooseLang picks the language: ?lang= (remembered in a cookie), then the
// cookie, then Vietnamese.
func chooseLang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if _, ok := messages[q]; ok {
			http.SetCookie(w, &http.Cookie{
				// The whole site: the OpenID Connect provider's pages,
				// drawn in the portal's layout, follow the choice too.
				Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
			})
			clearPortalPathCookie(w, r, langCookie)
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
