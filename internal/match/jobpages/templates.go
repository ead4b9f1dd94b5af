package jobpages

import (
	"html/template"

	"github.com/dancu/dancu/internal/web"
)

var listTmpl = template.Must(template.New("list").Parse(`
<h1>{{call .L "title"}}</h1>
{{if .Done}}<p class="notice" role="status" id="notice">{{.Done}}</p>{{end}}
<p>{{call .L "intro"}} <a href="">{{call .L "refresh"}}</a></p>
{{if .Rows}}
<table class="results" id="jobs">
<thead><tr><th>{{call .L "col.job"}}</th><th>{{call .L "col.agency"}}</th><th>{{call .L "col.state"}}</th><th>{{call .L "col.progress"}}</th><th>{{call .L "col.summary"}}</th><th>{{call .L "col.created"}}</th><th></th></tr></thead>
<tbody>
{{range .Rows}}<tr id="job-{{.ID}}">
<td class="mono">{{.ID}}<br><small>{{.Purpose}} · {{.Format}}</small></td>
<td>{{.Agency}}<br><small class="mono">{{.Client}}</small></td>
<td class="state">{{call $.L (printf "state.%s" .State)}}{{if .Error}}<br><small>{{.Error}}</small>{{end}}</td>
<td><progress max="100" value="{{.Percent}}">{{.Percent}}%</progress> {{.Percent}}%</td>
<td><small>{{call $.L "sum.lines"}} {{.Summary.Lines}} · MATCH {{.Summary.Match}} · MISMATCH {{.Summary.Mismatch}} · NOT_FOUND {{.Summary.NotFound}} · DECEASED {{.Summary.Deceased}} · MISSING {{.Summary.Missing}} · INVALID_PIN {{.Summary.InvalidPIN}} · OVER_LIMIT {{.Summary.OverLimit}} · MALFORMED {{.Summary.Malformed}}</small></td>
<td>{{.CreatedAt.Format "2006-01-02 15:04"}}</td>
<td>{{if .Result}}<a href="{{.Result}}" download>{{call $.L "download"}}</a>{{end}}
{{if .Active}}<form method="post" action="/console/verify-jobs/{{.ID}}/cancel" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="btn">{{call $.L "cancel"}}</button></form>{{end}}</td>
</tr>
{{end}}</tbody>
</table>
{{else}}<p>{{call .L "empty"}}</p>{{end}}
`))

// msgs is the pages' message catalogue, Vietnamese and English.
var msgs = web.Messages{
	"vi": {
		"nav":             "Đối chiếu thuê bao",
		"title":           "Tác vụ đối chiếu thông tin thuê bao",
		"intro":           "Các tác vụ đối chiếu hàng loạt của các đơn vị kết nối, mới nhất trước.",
		"refresh":         "Cập nhật",
		"empty":           "Chưa có tác vụ nào.",
		"col.job":         "Tác vụ",
		"col.agency":      "Đơn vị / ứng dụng",
		"col.state":       "Trạng thái",
		"col.progress":    "Tiến độ",
		"col.summary":     "Kết quả",
		"col.created":     "Tạo lúc (UTC)",
		"sum.lines":       "Số dòng",
		"state.queued":    "Đang chờ",
		"state.running":   "Đang chạy",
		"state.done":      "Hoàn thành",
		"state.failed":    "Lỗi",
		"state.cancelled": "Đã huỷ",
		"download":        "Tải kết quả",
		"cancel":          "Huỷ",
		"done.cancelled":  "Đã huỷ tác vụ: các dòng đã đối chiếu vẫn có trong kết quả.",
		"err.forbidden":   "Không được phép.",
		"err.not_found":   "Không có tác vụ này.",
		"err.no_result":   "Tác vụ chưa có kết quả.",
		"err.finished":    "Tác vụ đã kết thúc, không thể huỷ.",
	},
	"en": {
		"nav":             "Subscriber checks",
		"title":           "Bulk verification jobs",
		"intro":           "Connected agencies' bulk verification jobs, newest first.",
		"refresh":         "Refresh",
		"empty":           "No jobs yet.",
		"col.job":         "Job",
		"col.agency":      "Agency / client",
		"col.state":       "State",
		"col.progress":    "Progress",
		"col.summary":     "Results",
		"col.created":     "Created (UTC)",
		"sum.lines":       "Lines",
		"state.queued":    "Queued",
		"state.running":   "Running",
		"state.done":      "Done",
		"state.failed":    "Failed",
		"state.cancelled": "Cancelled",
		"download":        "Download result",
		"cancel":          "Cancel",
		"done.cancelled":  "The job was cancelled; the lines answered so far stay in its result.",
		"err.forbidden":   "Not allowed.",
		"err.not_found":   "No such job.",
		"err.no_result":   "The job has no result yet.",
		"err.finished":    "The job has finished; it cannot be cancelled.",
	},
}

// t returns a message in lang (Vietnamese when lang is unknown).
var t = msgs.Text
