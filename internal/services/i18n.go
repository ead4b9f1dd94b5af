package services

import "fmt"

// messages are the pages' words in Vietnamese and English.
var messages = map[string][2]string{
	"status.submitted":      {"Đã tiếp nhận", "Submitted"},
	"status.in_progress":    {"Đang xử lý", "In progress"},
	"status.info_requested": {"Chờ bổ sung", "Information requested"},
	"status.approved":       {"Đã giải quyết", "Approved"},
	"status.rejected":       {"Từ chối", "Rejected"},
	"status.withdrawn":      {"Đã rút", "Withdrawn"},

	"queue.title":       {"Hồ sơ dịch vụ công", "Public-service dossiers"},
	"queue.unit":        {"Đơn vị", "Unit"},
	"queue.province":    {"Mã tỉnh", "Province code"},
	"queue.commune":     {"Mã xã (để trống: cả tỉnh)", "Commune code (empty: the whole province)"},
	"queue.procedure":   {"Thủ tục", "Procedure"},
	"queue.all":         {"Tất cả", "All"},
	"queue.overdue":     {"Chỉ hồ sơ quá hạn", "Overdue only"},
	"queue.show":        {"Xem", "Show"},
	"queue.open":        {"Đang mở", "Open"},
	"queue.paused":      {"Chờ bổ sung", "Waiting for the applicant"},
	"queue.late":        {"Quá hạn", "Overdue"},
	"queue.code":        {"Mã hồ sơ", "Dossier"},
	"queue.submitted":   {"Ngày nộp", "Submitted"},
	"queue.due":         {"Hẹn trả", "Due"},
	"queue.status":      {"Trạng thái", "Status"},
	"queue.empty":       {"Không có hồ sơ.", "No dossiers."},
	"queue.next":        {"Trang sau", "Next page"},
	"queue.choose":      {"Chọn đơn vị để xem hàng đợi.", "Choose a unit to see its queue."},
	"queue.dashboard":   {"Bảng số liệu", "Dashboard"},
	"dossier.procedure": {"Thủ tục", "Procedure"},
	"dossier.authority": {"Cơ quan giải quyết", "Handled by"},
	"dossier.fee":       {"Lệ phí", "Fee"},
	"dossier.due":       {"Hẹn trả kết quả", "Result due"},
	"dossier.fields":    {"Thông tin kê khai", "Declared information"},
	"dossier.locked":    {"từ CSDL quốc gia về dân cư", "from the national population database"},
	"dossier.files":     {"Tài liệu đính kèm", "Attachments"},
	"dossier.history":   {"Quá trình xử lý", "History"},
	"dossier.request":   {"Yêu cầu bổ sung", "Request for information"},
	"dossier.reason":    {"Lý do", "Reason"},
	"dossier.event":     {"Đã cập nhật CSDL: sự kiện", "Registry updated: event"},
	"dossier.new_pin":   {"Số định danh cá nhân đã cấp", "Personal identification number allocated"},
	"dossier.overdue":   {"Quá hạn giải quyết", "Past the legal deadline"},
	"dossier.version":   {"phiên bản", "version"},
	"act.accept":        {"Tiếp nhận xử lý", "Accept"},
	"act.request":       {"Yêu cầu bổ sung", "Request information"},
	"act.approve":       {"Phê duyệt", "Approve"},
	"act.reject":        {"Từ chối", "Reject"},
	"act.note":          {"Ghi chú", "Note"},
	"act.new_head":      {"Số định danh chủ hộ mới (nếu chủ hộ rời hộ)", "PIN of the new head (if the head leaves)"},
	"act.not_duplicate": {"Nếu hệ thống báo trẻ có thể đã được đăng ký: lý do xác định là người khác", "If the registry says the child may be on record: why they are other people"},
	"dash.title":        {"Bảng số liệu dịch vụ công", "Public services dashboard"},
	"dash.national":     {"Toàn quốc", "Whole country"},
	"dash.by_province":  {"Theo tỉnh", "By province"},
	"dash.submitted":    {"Tiếp nhận", "Submitted"},
	"dash.decided":      {"Đã giải quyết", "Decided"},
	"dash.on_time":      {"Đúng hạn", "On time"},
	"dash.rate":         {"Tỉ lệ đúng hạn", "On-time rate"},
	"dash.withdrawn":    {"Rút", "Withdrawn"},
	"dash.open":         {"Đang mở", "Open"},
	"dash.overdue":      {"Quá hạn", "Overdue"},
	"dash.period":       {"Từ ngày / đến trước ngày", "From / until before"},
	"dash.catalogue":    {"Danh mục thủ tục", "Catalogue"},
	"dash.days":         {"ngày làm việc", "working days"},
	"dash.edit":         {"Sửa", "Edit"},
	"proc.fee":          {"Lệ phí (đồng)", "Fee (đồng)"},
	"proc.days":         {"Thời hạn (ngày làm việc)", "Deadline (working days)"},
	"proc.offered":      {"Cung cấp trực tuyến", "Offered online"},
	"proc.attachments":  {"Tài liệu (mỗi dòng: mã | required/optional | kiểu | KiB tối đa | tên)", "Attachments (one a line: kind | required/optional | types | max KiB | name)"},
	"proc.save":         {"Lưu", "Save"},
	"err.not_found":     {"Không tìm thấy.", "Not found."},
	"err.version":       {"Thiếu phiên bản hồ sơ.", "The dossier's version is missing."},
	"err.stale":         {"Hồ sơ vừa được cán bộ khác xử lý; đây là trạng thái mới.", "Another officer acted on this dossier first; here is its new state."},
	"err.admin":         {"Chỉ quản trị viên quốc gia.", "National administrators only."},

	"portal.title":       {"Dịch vụ công trực tuyến", "Online public services"},
	"portal.catalogue":   {"Thủ tục", "Procedures"},
	"portal.mine":        {"Hồ sơ của tôi", "My dossiers"},
	"portal.notes":       {"Thông báo", "Notifications"},
	"portal.level":       {"Cần định danh điện tử mức", "Requires electronic identification level"},
	"portal.file":        {"Nộp hồ sơ", "Apply"},
	"portal.submit":      {"Nộp", "Submit"},
	"portal.attach":      {"Tệp", "File"},
	"portal.required":    {"bắt buộc", "required"},
	"portal.submitted":   {"Đã nộp hồ sơ. Mã hồ sơ:", "Dossier filed. Its code:"},
	"portal.appointment": {"Ngày hẹn trả kết quả:", "Result due on:"},
	"portal.respond":     {"Gửi bổ sung", "Send the information"},
	"portal.withdraw":    {"Rút hồ sơ", "Withdraw"},
	"portal.none":        {"Chưa có hồ sơ.", "No dossiers yet."},
	"portal.no_notes":    {"Chưa có thông báo.", "No notifications."},
	"portal.mark_read":   {"Đánh dấu đã đọc", "Mark as read"},
	"portal.download":    {"Tải về", "Download"},
	"portal.unread":      {"mới", "new"},
	"portal.back":        {"Quay lại", "Back"},
	"portal.notify":      {"Hồ sơ %s: %s", "Dossier %s: %s"},
}

// tr returns the message key in lang, formatted with args.
func tr(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
