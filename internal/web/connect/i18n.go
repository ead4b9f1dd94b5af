package connect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/web"
)

// messages is the section's message catalogue, in Vietnamese (the default)
// and English; templates name messages by key. TestMessages_sameKeys keeps
// the languages in step.
var messages = map[string]map[string]string{
	"vi": {
		"nav": "Kết nối",

		"agencies.title":     "Cơ quan, tổ chức kết nối",
		"agencies.intro":     "Các bộ, ngành, địa phương, ngân hàng, nhà mạng, bệnh viện được kết nối với Cơ sở dữ liệu quốc gia về dân cư: hệ thống của họ (client), phạm vi khai thác theo mục đích (grant) và đăng ký nhận thông báo thay đổi (webhook).",
		"agencies.none":      "Chưa có cơ quan nào được kết nối.",
		"agencies.add":       "Thêm cơ quan kết nối",
		"agencies.datasets":  "Dữ liệu liên kết và mức độ bao phủ",
		"col.id":             "Mã",
		"col.name":           "Tên",
		"col.kind":           "Loại",
		"col.status":         "Trạng thái",
		"col.created":        "Ngày tạo",
		"col.keys":           "Khoá công khai (kid)",
		"col.actions":        "Thao tác",
		"col.purpose":        "Mục đích",
		"col.legal_basis":    "Căn cứ pháp lý",
		"col.fields":         "Trường dữ liệu",
		"col.event_types":    "Sự kiện",
		"col.datasets":       "Dữ liệu liên kết",
		"col.check":          "Đối chiếu",
		"col.url":            "Địa chỉ nhận",
		"col.agency":         "Cơ quan",
		"col.records":        "Số bản ghi",
		"col.linked":         "Công dân còn sống được liên kết",
		"col.share":          "Tỷ lệ bao phủ",
		"col.seq":            "Số thứ tự",
		"col.message_id":     "Mã thông báo",
		"col.attempts":       "Số lần gửi",
		"col.first_at":       "Lần gửi đầu",
		"col.dead_at":        "Ngừng gửi lúc",
		"col.last_error":     "Lỗi cuối",
		"field.id":           "Mã cơ quan",
		"field.id_hint":      "Chữ thường, số, dấu . _ -; tối đa 63 ký tự; không đổi được sau khi tạo. Ví dụ: bhxh, bank-vcb.",
		"field.name":         "Tên",
		"field.kind":         "Loại cơ quan",
		"field.client_id":    "Mã client",
		"field.client_name":  "Tên hệ thống",
		"field.jwks":         "Khoá công khai (JWKS)",
		"field.jwks_hint":    "Dán JWK Set ({\"keys\": [...]}) hoặc một JWK: RSA từ 2048 bit, EC P-256 hoặc Ed25519, mỗi khoá có kid. Chỉ khoá công khai.",
		"field.purpose":      "Mã mục đích",
		"field.purpose_hint": "Ví dụ: social-insurance.enrolment. Phạm vi đã có được sửa từ nút Sửa trên trang cơ quan.",
		"field.legal_basis":  "Căn cứ pháp lý",
		"field.legal_hint":   "Văn bản cho phép khai thác, ví dụ: Luật Bảo hiểm xã hội 2024, Điều 28.",
		"field.fields":       "Trường dữ liệu được cung cấp",
		"field.fields_hint":  "Số định danh và tình trạng (còn sống, đã chết, mất tích) luôn được cung cấp kèm.",
		"field.event_types":  "Sự kiện được nhận",
		"field.datasets":     "Dữ liệu liên kết được đọc",
		"field.no_datasets":  "Chưa có bộ dữ liệu liên kết nào được đăng ký.",
		"field.check":        "Được đối chiếu thông tin (trả lời có/không)",
		"field.status":       "Trạng thái",
		"field.webhook_id":   "Mã đăng ký",
		"field.url":          "Địa chỉ nhận (https)",
		"field.url_hint":     "Thông báo được gửi bằng POST, ký theo chuẩn Standard Webhooks.",
		"field.wh_purpose":   "Theo phạm vi khai thác",
		"field.wh_events":    "Sự kiện cần nhận (trong phạm vi đã cấp)",
		"field.ds_name":      "Tên bộ dữ liệu",
		"field.ds_kind":      "Loại dữ liệu",
		"field.ds_agency":    "Cơ quan quản lý",

		"status.active":    "Đang hoạt động",
		"status.disabled":  "Đã tạm ngừng",
		"action.disable":   "Tạm ngừng",
		"action.enable":    "Kích hoạt lại",
		"action.add":       "Thêm",
		"action.save":      "Lưu",
		"action.edit":      "Sửa",
		"action.keys":      "Thay khoá",
		"action.dead":      "Thông báo gửi không thành công",
		"action.redeliver": "Gửi lại",
		"action.register":  "Đăng ký",
		"value.yes":        "Có",
		"value.no":         "Không",
		"value.none":       "—",

		"kind.ministry": "Bộ, ngành",
		"kind.province": "Tỉnh, thành phố",
		"kind.police":   "Công an",
		"kind.bank":     "Ngân hàng",
		"kind.carrier":  "Nhà mạng",
		"kind.hospital": "Bệnh viện",
		"kind.insurer":  "Bảo hiểm",
		"kind.court":    "Toà án",
		"kind.other":    "Khác",

		"agency.title":                "Cơ quan kết nối",
		"agency.back":                 "← Danh sách cơ quan",
		"agency.status_hint":          "Tạm ngừng cơ quan sẽ chặn ngay mọi client của cơ quan.",
		"agency.clients":              "Hệ thống kết nối (client)",
		"agency.no_clients":           "Chưa có client nào.",
		"agency.add_client":           "Thêm client",
		"agency.grants":               "Phạm vi khai thác theo mục đích",
		"agency.no_grants":            "Chưa có phạm vi nào: cơ quan chưa được đọc dữ liệu gì.",
		"agency.new_grant":            "Cấp phạm vi mới",
		"agency.webhooks":             "Đăng ký nhận thông báo thay đổi (webhook)",
		"agency.no_webhooks":          "Chưa có đăng ký nào.",
		"agency.add_webhook":          "Thêm đăng ký",
		"agency.no_grant_for_webhook": "Cần cấp một phạm vi có sự kiện trước khi đăng ký webhook.",

		"grant.title_new":  "Cấp phạm vi khai thác",
		"grant.title_edit": "Sửa phạm vi khai thác",

		"keys.title":   "Thay khoá công khai của client",
		"keys.current": "Khoá hiện tại",
		"keys.hint":    "Để đổi khoá không gián đoạn: dán cả khoá cũ và khoá mới, chờ hệ thống của cơ quan chuyển sang kid mới, rồi dán lại chỉ khoá mới.",

		"webhook.created":     "Đã tạo đăng ký webhook %s",
		"webhook.secret":      "Khoá ký (chỉ hiển thị một lần này)",
		"webhook.secret_hint": "Sao chép và chuyển khoá này cho cơ quan qua kênh an toàn. Hệ thống chỉ lưu để ký, không hiển thị lại.",
		"webhook.back":        "Về trang cơ quan",

		"dead.title": "Thông báo gửi không thành công",
		"dead.intro": "Các thông báo đã thử gửi lại trong 3 ngày mà không thành công. Gửi lại sẽ đưa thông báo vào hàng đợi với thời hạn thử mới.",
		"dead.none":  "Không có thông báo nào gửi không thành công.",
		"dead.next":  "Trang sau",
		"dead.first": "Về trang đầu",

		"datasets.title":    "Dữ liệu liên kết",
		"datasets.intro":    "Dữ liệu các bộ, ngành đồng bộ với Cơ sở dữ liệu quốc gia về dân cư theo số định danh cá nhân.",
		"datasets.living":   "Dân số còn sống: %s người.",
		"datasets.summary":  "%s công dân còn sống đã được đồng bộ với %s (%s).",
		"datasets.none":     "Chưa có bộ dữ liệu nào được đăng ký.",
		"datasets.register": "Đăng ký bộ dữ liệu",

		"done.agency_added":   "Đã thêm cơ quan.",
		"done.agency_status":  "Đã cập nhật trạng thái cơ quan.",
		"done.client_added":   "Đã thêm client.",
		"done.client_status":  "Đã cập nhật trạng thái client.",
		"done.keys_replaced":  "Đã thay khoá công khai của client.",
		"done.grant_saved":    "Đã lưu phạm vi khai thác.",
		"done.webhook_status": "Đã cập nhật trạng thái đăng ký webhook.",
		"done.redelivered":    "Đã đưa thông báo vào hàng đợi gửi lại.",
		"done.dataset_added":  "Đã đăng ký bộ dữ liệu.",

		"err.title":         "Cần sửa thông tin",
		"err.no_page":       "Không có trang này.",
		"err.not_found":     "Không tìm thấy bản ghi này.",
		"err.service":       "Không hợp lệ: %s",
		"err.id":            "Mã phải gồm 1–63 ký tự: chữ thường, số, dấu chấm, gạch dưới hoặc gạch ngang, bắt đầu bằng chữ hoặc số.",
		"err.id_taken":      "Mã này đã được dùng.",
		"err.name":          "Cần nhập tên (tối đa 300 byte).",
		"err.kind":          "Hãy chọn một loại trong danh sách.",
		"err.jwks_empty":    "Cần dán khoá công khai (JWKS).",
		"err.jwks":          "Khoá công khai không hợp lệ: %s",
		"err.purpose":       "Mã mục đích phải gồm 1–100 ký tự: chữ thường, số, dấu chấm, gạch dưới hoặc gạch ngang.",
		"err.legal_basis":   "Cần nhập căn cứ pháp lý (tối đa 2000 byte).",
		"err.purpose_taken": "Cơ quan đã có phạm vi cho mục đích này: hãy dùng nút Sửa của phạm vi đó để thay thế.",
		"err.field":         "Trường không có trong danh sách: %s.",
		"err.event_type":    "Loại sự kiện không có trong danh sách: %s.",
		"err.dataset":       "Bộ dữ liệu không có trong danh sách: %s.",
		"err.status":        "Trạng thái không hợp lệ.",
		"err.url":           "Cần nhập địa chỉ https đầy đủ (http chỉ cho máy này).",
		"err.wh_purpose":    "Hãy chọn một phạm vi khai thác đang hoạt động của cơ quan.",
		"err.wh_events":     "Hãy chọn ít nhất một sự kiện trong phạm vi đã cấp.",
		"err.wh_event":      "Sự kiện %s không thuộc phạm vi đã cấp cho mục đích này.",
		"err.ds_kind":       "Hãy chọn một loại dữ liệu trong danh sách.",
		"err.ds_agency":     "Hãy chọn một cơ quan đã kết nối.",
		"err.seq":           "Số thứ tự thông báo không hợp lệ.",
		"err.not_dead":      "Thông báo này không còn trong danh sách gửi không thành công.",
		"err.after":         "Liên kết trang không hợp lệ.",
	},
	"en": {
		"nav": "Connections",

		"agencies.title":     "Connected agencies",
		"agencies.intro":     "The ministries, provinces, banks, carriers and hospitals connected to the national population database: their systems (clients), what they may read for each purpose (grants) and their change-notice subscriptions (webhooks).",
		"agencies.none":      "No agency is connected yet.",
		"agencies.add":       "Add a connected agency",
		"agencies.datasets":  "Linked datasets and their coverage",
		"col.id":             "ID",
		"col.name":           "Name",
		"col.kind":           "Kind",
		"col.status":         "Status",
		"col.created":        "Created",
		"col.keys":           "Public keys (kid)",
		"col.actions":        "Actions",
		"col.purpose":        "Purpose",
		"col.legal_basis":    "Legal basis",
		"col.fields":         "Fields",
		"col.event_types":    "Events",
		"col.datasets":       "Linked datasets",
		"col.check":          "Checks",
		"col.url":            "Receiver URL",
		"col.agency":         "Agency",
		"col.records":        "Records",
		"col.linked":         "Living people linked",
		"col.share":          "Coverage",
		"col.seq":            "Seq",
		"col.message_id":     "Message id",
		"col.attempts":       "Attempts",
		"col.first_at":       "First attempt",
		"col.dead_at":        "Given up at",
		"col.last_error":     "Last error",
		"field.id":           "Agency ID",
		"field.id_hint":      "Lower-case letters, digits, . _ -; at most 63; fixed once created. For example: vss, bank-vcb.",
		"field.name":         "Name",
		"field.kind":         "Kind of agency",
		"field.client_id":    "Client ID",
		"field.client_name":  "System name",
		"field.jwks":         "Public keys (JWKS)",
		"field.jwks_hint":    "Paste a JWK Set ({\"keys\": [...]}) or a single JWK: RSA of 2048 bits or more, EC P-256 or Ed25519, each with a kid. Public keys only.",
		"field.purpose":      "Purpose code",
		"field.purpose_hint": "For example: social-insurance.enrolment. An existing grant is changed with its Edit button on the agency's page.",
		"field.legal_basis":  "Legal basis",
		"field.legal_hint":   "The text that allows the use, for example: Law on Social Insurance 2024, article 28.",
		"field.fields":       "Fields released",
		"field.fields_hint":  "The PIN and the status (alive, dead, missing) are always released with them.",
		"field.event_types":  "Life events received",
		"field.datasets":     "Linked datasets it may read",
		"field.no_datasets":  "No linked dataset is registered yet.",
		"field.check":        "May check submitted attributes (yes/no answers)",
		"field.status":       "Status",
		"field.webhook_id":   "Subscription ID",
		"field.url":          "Receiver URL (https)",
		"field.url_hint":     "Messages are POSTed, signed per Standard Webhooks.",
		"field.wh_purpose":   "Under the grant",
		"field.wh_events":    "Events to receive (within the grant)",
		"field.ds_name":      "Dataset name",
		"field.ds_kind":      "Kind of data",
		"field.ds_agency":    "Owning agency",

		"status.active":    "Active",
		"status.disabled":  "Disabled",
		"action.disable":   "Disable",
		"action.enable":    "Enable",
		"action.add":       "Add",
		"action.save":      "Save",
		"action.edit":      "Edit",
		"action.keys":      "Replace keys",
		"action.dead":      "Dead letters",
		"action.redeliver": "Redeliver",
		"action.register":  "Register",
		"value.yes":        "Yes",
		"value.no":         "No",
		"value.none":       "—",

		"kind.ministry": "Ministry",
		"kind.province": "Province",
		"kind.police":   "Police",
		"kind.bank":     "Bank",
		"kind.carrier":  "Carrier",
		"kind.hospital": "Hospital",
		"kind.insurer":  "Insurer",
		"kind.court":    "Court",
		"kind.other":    "Other",

		"agency.title":                "Connected agency",
		"agency.back":                 "← All agencies",
		"agency.status_hint":          "Disabling the agency stops all its clients at once.",
		"agency.clients":              "API clients",
		"agency.no_clients":           "No client yet.",
		"agency.add_client":           "Add a client",
		"agency.grants":               "Purpose-bound grants",
		"agency.no_grants":            "No grant: the agency may read nothing yet.",
		"agency.new_grant":            "New grant",
		"agency.webhooks":             "Change-notice subscriptions (webhooks)",
		"agency.no_webhooks":          "No subscription yet.",
		"agency.add_webhook":          "Add a subscription",
		"agency.no_grant_for_webhook": "Grant a purpose with life events before subscribing a webhook.",

		"grant.title_new":  "New grant",
		"grant.title_edit": "Edit grant",

		"keys.title":   "Replace a client's public keys",
		"keys.current": "Current keys",
		"keys.hint":    "To roll a key over without downtime: paste the old and the new key together, wait until the agency's system signs with the new kid, then paste the new key alone.",

		"webhook.created":     "Webhook subscription %s created",
		"webhook.secret":      "Signing secret (shown only this once)",
		"webhook.secret_hint": "Copy it and hand it to the agency over a secure channel. It is kept only to sign and never shown again.",
		"webhook.back":        "Back to the agency",

		"dead.title": "Dead letters",
		"dead.intro": "Messages that failed for 3 days of retries. Redelivering puts a message back in the queue with a fresh retry window.",
		"dead.none":  "No dead-lettered message.",
		"dead.next":  "Next page",
		"dead.first": "First page",

		"datasets.title":    "Linked datasets",
		"datasets.intro":    "Ministries' data kept in sync with the national population database by personal identification number.",
		"datasets.living":   "Living population: %s people.",
		"datasets.summary":  "%s living citizens synchronised with %s (%s).",
		"datasets.none":     "No dataset is registered yet.",
		"datasets.register": "Register a dataset",

		"done.agency_added":   "Agency added.",
		"done.agency_status":  "Agency status updated.",
		"done.client_added":   "Client added.",
		"done.client_status":  "Client status updated.",
		"done.keys_replaced":  "The client's public keys were replaced.",
		"done.grant_saved":    "Grant saved.",
		"done.webhook_status": "Subscription status updated.",
		"done.redelivered":    "The message is queued for redelivery.",
		"done.dataset_added":  "Dataset registered.",

		"err.title":         "Please correct the form",
		"err.no_page":       "There is no such page.",
		"err.not_found":     "No such record.",
		"err.service":       "Not valid: %s",
		"err.id":            "The ID must be 1–63 lower-case letters, digits, dots, underscores or hyphens, starting with a letter or digit.",
		"err.id_taken":      "This ID is already taken.",
		"err.name":          "The name is required (at most 300 bytes).",
		"err.kind":          "Choose a kind from the list.",
		"err.jwks_empty":    "Paste the public keys (JWKS).",
		"err.jwks":          "The public keys are not valid: %s",
		"err.purpose":       "The purpose code must be 1–100 lower-case letters, digits, dots, underscores or hyphens.",
		"err.legal_basis":   "The legal basis is required (at most 2000 bytes).",
		"err.purpose_taken": "The agency already holds a grant for this purpose: use that grant's Edit button to replace it.",
		"err.field":         "Not a field of the list: %s.",
		"err.event_type":    "Not a life-event type of the list: %s.",
		"err.dataset":       "Not a dataset of the list: %s.",
		"err.status":        "The status is not valid.",
		"err.url":           "Enter a full https URL (http only for this machine).",
		"err.wh_purpose":    "Choose one of the agency's active grants.",
		"err.wh_events":     "Choose at least one life event of the grant.",
		"err.wh_event":      "The event %s is not granted for this purpose.",
		"err.ds_kind":       "Choose a kind of data from the list.",
		"err.ds_agency":     "Choose a connected agency.",
		"err.seq":           "The message number is not valid.",
		"err.not_dead":      "This message is no longer dead-lettered.",
		"err.after":         "The page link is not valid.",
	},
}

// catalogue is one language's messages.
type catalogue struct {
	lang string
	msgs map[string]string
}

func catalogueFor(lang string) catalogue {
	if _, ok := messages[lang]; !ok {
		lang = "vi"
	}
	return catalogue{lang: lang, msgs: messages[lang]}
}

// T returns the message key, formatted with args when it takes any; an
// unknown key shows as itself between marks, so that a test finds it.
func (c catalogue) T(key string, args ...any) string {
	s, ok := c.msgs[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func (c catalogue) has(key string) bool { _, ok := c.msgs[key]; return ok }

// Event names a life-event type as the rest of the console does.
func (c catalogue) Event(code string) string { return web.EventLabel(c.lang, code) }

// Time formats an instant in Vietnam's time zone.
func (c catalogue) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(registry.Vietnam)
	if c.lang == "vi" {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// Number groups thousands: 27.000.000 in Vietnamese, 27,000,000 in English.
func (c catalogue) Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if c.lang == "vi" {
		sep = "."
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent formats a share from 0 to 1 with one decimal: 27,4% or 27.4%.
func (c catalogue) Percent(x float64) string {
	s := strconv.FormatFloat(x*100, 'f', 1, 64)
	if c.lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}
