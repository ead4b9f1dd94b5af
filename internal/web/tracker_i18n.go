package web

// trackerMessages are the data tracker page's messages, merged into the
// console's catalogue at start-up (kept apart so that the catalogue file
// does not grow a block per page).
var trackerMessages = map[string]map[string]string{
	langVI: {
		"tracker.title":               "Lịch sử truy cập dữ liệu",
		"tracker.back":                "Về hồ sơ công dân",
		"tracker.intro":               "Mọi lần cơ quan, tổ chức hoặc cán bộ đọc hay ghi dữ liệu của công dân này đều được ghi vào nhật ký truy cập không thể sửa xoá. Mỗi dòng được kiểm chứng bằng bằng chứng bao hàm (Merkle) đối với điểm kiểm tra đã ký.",
		"tracker.checkpoint":          "Điểm kiểm tra đã ký hợp lệ: nhật ký gồm %d mục.",
		"tracker.checkpoint_bad":      "Chữ ký của điểm kiểm tra không hợp lệ: không dòng nào dưới đây được kiểm chứng. Hãy báo ngay cho bộ phận an ninh.",
		"tracker.no_checkpoint":       "Chưa có điểm kiểm tra nào được ký; các dòng sẽ được kiểm chứng sau ít giây.",
		"tracker.accesses":            "Các lần truy cập (mới nhất trước)",
		"tracker.col.index":           "Số thứ tự",
		"tracker.col.time":            "Thời gian",
		"tracker.col.actor":           "Bên truy cập",
		"tracker.col.purpose":         "Mục đích",
		"tracker.col.case":            "Số hồ sơ vụ việc",
		"tracker.col.fields":          "Trường dữ liệu",
		"tracker.col.proof":           "Kiểm chứng",
		"tracker.agency":              "cơ quan %s",
		"tracker.actor_client":        "hệ thống kết nối",
		"tracker.actor_admin":         "Quản trị viên khởi tạo",
		"tracker.actor_staff":         "cán bộ",
		"tracker.actor_staff_units":   "cán bộ, đơn vị %s",
		"tracker.sealed":              "Niêm phong",
		"tracker.sealed_until":        "ẩn với công dân đến %s",
		"tracker.proof_ok":            "đã kiểm chứng với điểm kiểm tra %d",
		"tracker.proof_pending":       "mới hơn điểm kiểm tra; sẽ được kiểm chứng ở điểm sau",
		"tracker.proof_bad":           "KHÔNG khớp với điểm kiểm tra %d",
		"tracker.proof_no_checkpoint": "chưa kiểm chứng được",
		"tracker.none":                "Chưa có lần truy cập nào được ghi nhận.",
		"tracker.next":                "Cũ hơn",
		"tracker.first":               "Về trang đầu",
		"tracker.err.before":          "Liên kết trang không hợp lệ.",
		"tracker.field.record":        "toàn bộ hồ sơ",
		"tracker.field.history":       "lịch sử thay đổi",
		"tracker.field.accesses":      "lịch sử truy cập",
		"tracker.action.read":         "đọc",
		"tracker.action.write":        "ghi",
		"tracker.action.verify":       "đối chiếu",
		"tracker.action.feed":         "gửi thông báo thay đổi",
		"tracker.action.release":      "cung cấp",
		"person.open_tracker":         "Lịch sử truy cập dữ liệu",
	},
	langEN: {
		"tracker.title":               "Data access history",
		"tracker.back":                "Back to the record",
		"tracker.intro":               "Every time an agency, an organisation or an officer read or wrote this person's data, it was appended to the access log, which cannot be changed or deleted. Each row is checked here with its Merkle inclusion proof against the signed checkpoint.",
		"tracker.checkpoint":          "Signed checkpoint verified: the log holds %d entries.",
		"tracker.checkpoint_bad":      "The checkpoint's signature does not verify: none of the rows below is proven. Tell the security team at once.",
		"tracker.no_checkpoint":       "No checkpoint has been signed yet; the rows are proven within seconds.",
		"tracker.accesses":            "Accesses (newest first)",
		"tracker.col.index":           "Entry",
		"tracker.col.time":            "Time",
		"tracker.col.actor":           "Accessed by",
		"tracker.col.purpose":         "Purpose",
		"tracker.col.case":            "Case reference",
		"tracker.col.fields":          "Fields",
		"tracker.col.proof":           "Proof",
		"tracker.agency":              "agency %s",
		"tracker.actor_client":        "connected system",
		"tracker.actor_admin":         "Bootstrap administrator",
		"tracker.actor_staff":         "officer",
		"tracker.actor_staff_units":   "officer, units %s",
		"tracker.sealed":              "Sealed",
		"tracker.sealed_until":        "hidden from the person until %s",
		"tracker.proof_ok":            "verified against checkpoint %d",
		"tracker.proof_pending":       "newer than the checkpoint; the next one covers it",
		"tracker.proof_bad":           "does NOT match checkpoint %d",
		"tracker.proof_no_checkpoint": "not verified",
		"tracker.none":                "No access has been recorded yet.",
		"tracker.next":                "Older",
		"tracker.first":               "Back to the newest",
		"tracker.err.before":          "The page link is not valid.",
		"tracker.field.record":        "whole record",
		"tracker.field.history":       "history of changes",
		"tracker.field.accesses":      "access history",
		"tracker.action.read":         "read",
		"tracker.action.write":        "write",
		"tracker.action.verify":       "check",
		"tracker.action.feed":         "change notice",
		"tracker.action.release":      "release",
		"person.open_tracker":         "Data access history",
	},
}

func init() {
	for lang, msgs := range trackerMessages {
		for k, v := range msgs {
			if _, dup := messages[lang][k]; dup {
				panic("web: message " + k + " defined twice")
			}
			messages[lang][k] = v
		}
	}
}
