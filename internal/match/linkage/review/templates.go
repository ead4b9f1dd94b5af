package review

import (
	"html/template"
	"time"

	"github.com/dancu/dancu/internal/web"
)

// timeNow is the clock of decisions (a variable for tests).
var timeNow = func() time.Time { return time.Now().UTC() }

var listTmpl = template.Must(template.New("list").Funcs(template.FuncMap{"mul100": func(x float64) float64 { return x * 100 }}).Parse(`
<h1>{{call .L "list.title"}}</h1>
{{if .Done}}<p class="notice" role="status">{{.Done}}</p>{{end}}
<p>{{call .L "list.intro"}} {{call .L "list.open"}}: {{.Count}}</p>
{{if .Rows}}
<table class="results" id="duplicates">
<thead><tr><th>{{call .L "col.pair"}}</th><th>{{call .L "col.weight"}}</th><th>{{call .L "col.probability"}}</th><th>{{call .L "col.source"}}</th><th>{{call .L "col.found"}}</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td><a href="{{.Href}}">{{.PINA}} – {{.PINB}}</a></td><td>{{printf "%.2f" .Weight}}</td><td>{{printf "%.1f%%" (mul100 .Probability)}}</td><td>{{.Source}}</td><td>{{.FoundAt.Format "2006-01-02"}}</td></tr>
{{end}}</tbody>
</table>
{{if .Next}}<p><a href="{{.Next}}">{{call .L "list.next"}}</a></p>{{end}}
{{else}}<p>{{call .L "list.empty"}}</p>{{end}}
`))

var compareTmpl = template.Must(template.New("compare").Parse(`
<h1>{{call .L "compare.title"}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<p>{{call .L "col.weight"}}: <strong>{{.Weight}}</strong> · {{call .L "col.probability"}}: <strong>{{.Prob}}</strong> · {{call .L "col.source"}}: {{.Source}} · {{.Status}}</p>
<table class="results" id="pair">
<thead><tr><th></th><th><a href="/console/people/{{.A}}">{{.A}}</a></th><th><a href="/console/people/{{.B}}">{{.B}}</a></th><th>{{call .L "col.level"}}</th><th>{{call .L "col.field_weight"}}</th></tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row">{{.Label}}</th><td>{{.A}}</td><td>{{.B}}</td><td>{{.Level}}</td><td>{{.Weight}}</td></tr>
{{end}}</tbody>
</table>
{{if .Open}}
<form method="post" action="{{.MergeA}}" id="merge">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<fieldset><legend>{{call .L "merge.legend"}}</legend>
<label><input type="radio" name="keep" value="{{.A}}" checked> {{call .L "merge.keep"}} {{.A}}</label>
<label><input type="radio" name="keep" value="{{.B}}"> {{call .L "merge.keep"}} {{.B}}</label>
<label>{{call .L "merge.reason"}} <input type="text" name="reason" required maxlength="500"></label>
<button type="submit">{{call .L "merge.submit"}}</button>
</fieldset>
</form>
<form method="post" action="{{.Dismiss}}" id="dismiss">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit">{{call .L "dismiss.submit"}}</button>
</form>
{{end}}
<p><a href="/console/duplicates/">{{call .L "back"}}</a></p>
`))

// msgs is the pages' message catalogue, Vietnamese and English.
var msgs = web.Messages{
	"vi": {
		"nav":              "Hồ sơ trùng",
		"list.title":       "Hồ sơ nghi trùng lặp",
		"list.intro":       "Các cặp hồ sơ có thể là cùng một người, xếp theo trọng số khớp.",
		"list.open":        "Đang chờ xử lý",
		"list.next":        "Trang sau",
		"list.empty":       "Không có cặp hồ sơ nào đang chờ xử lý.",
		"col.pair":         "Cặp số định danh",
		"col.weight":       "Trọng số khớp",
		"col.probability":  "Xác suất",
		"col.source":       "Nguồn",
		"col.found":        "Ngày phát hiện",
		"col.level":        "Mức khớp",
		"col.field_weight": "Trọng số",
		"compare.title":    "So sánh hai hồ sơ",
		"f.full_name":      "Họ và tên (tên)",
		"f.surname_middle": "Họ / tên đệm",
		"f.birth_date":     "Ngày sinh",
		"f.sex":            "Giới tính",
		"f.birth_province": "Tỉnh đăng ký khai sinh",
		"f.residence":      "Nơi thường trú",
		"f.father":         "Cha",
		"f.mother":         "Mẹ",
		"f.phone":          "Số điện thoại",
		"f.status":         "Tình trạng",
		"f.linked":         "Số định danh liên kết",
		"sex.male":         "Nam",
		"sex.female":       "Nữ",
		"state.alive":      "Còn sống",
		"state.dead":       "Đã chết",
		"state.missing":    "Mất tích",
		"level.exact":      "trùng khớp",
		"level.close":      "gần khớp",
		"level.partial":    "khớp một phần",
		"level.different":  "khác",
		"level.missing":    "thiếu",
		"status.open":      "đang chờ",
		"status.merged":    "đã hợp nhất",
		"status.dismissed": "đã bác bỏ",
		"merge.legend":     "Hợp nhất: hồ sơ còn lại",
		"merge.keep":       "Giữ",
		"merge.reason":     "Căn cứ",
		"merge.submit":     "Hợp nhất hồ sơ",
		"dismiss.submit":   "Không phải cùng một người",
		"done.merged":      "Đã hợp nhất hai hồ sơ.",
		"done.dismissed":   "Đã bác bỏ cặp hồ sơ.",
		"back":             "Về danh sách",
		"err.forbidden":    "Không có quyền.",
		"err.not_found":    "Không tìm thấy cặp hồ sơ này.",
		"err.unavailable":  "Không ghi được nhật ký truy cập; thử lại sau.",
		"err.decided":      "Cặp hồ sơ này đã được xử lý.",
		"err.keep":         "Chọn hồ sơ được giữ lại.",
		"err.reason":       "Cần ghi căn cứ hợp nhất.",
		"err.registry":     "Không hợp nhất được",
	},
	"en": {
		"nav":              "Duplicates",
		"list.title":       "Suspected duplicate records",
		"list.intro":       "Pairs of records that may be one person, by match weight.",
		"list.open":        "Open",
		"list.next":        "Next page",
		"list.empty":       "No pair is waiting for review.",
		"col.pair":         "PINs",
		"col.weight":       "Match weight",
		"col.probability":  "Probability",
		"col.source":       "Source",
		"col.found":        "Found",
		"col.level":        "Agreement",
		"col.field_weight": "Weight",
		"compare.title":    "Compare two records",
		"f.full_name":      "Full name (given name)",
		"f.surname_middle": "Surname / middle name",
		"f.birth_date":     "Date of birth",
		"f.sex":            "Sex",
		"f.birth_province": "Province of birth registration",
		"f.residence":      "Permanent residence",
		"f.father":         "Father",
		"f.mother":         "Mother",
		"f.phone":          "Phone",
		"f.status":         "Status",
		"f.linked":         "Linked PINs",
		"sex.male":         "Male",
		"sex.female":       "Female",
		"state.alive":      "Alive",
		"state.dead":       "Dead",
		"state.missing":    "Missing",
		"level.exact":      "exact",
		"level.close":      "close",
		"level.partial":    "partial",
		"level.different":  "different",
		"level.missing":    "missing",
		"status.open":      "open",
		"status.merged":    "merged",
		"status.dismissed": "dismissed",
		"merge.legend":     "Merge: the record that carries on",
		"merge.keep":       "Keep",
		"merge.reason":     "Legal basis",
		"merge.submit":     "Merge records",
		"dismiss.submit":   "Not the same person",
		"done.merged":      "The two records were merged.",
		"done.dismissed":   "The pair was dismissed.",
		"back":             "Back to the list",
		"err.forbidden":    "Not allowed.",
		"err.not_found":    "No such pair.",
		"err.unavailable":  "The access could not be logged; try again later.",
		"err.decided":      "This pair has already been decided.",
		"err.keep":         "Choose the record to keep.",
		"err.reason":       "A legal basis for the merge is required.",
		"err.registry":     "The merge was refused",
	},
}

// t returns a message in lang (Vietnamese when lang is unknown).
var t = msgs.Text
