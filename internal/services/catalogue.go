package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// Text is a label in the two languages of the portal and the console.
type Text struct {
	VI string `json:"vi"`
	EN string `json:"en"`
}

// In returns the text in lang ("vi" or "en"), Vietnamese by default.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.VI
}

// Authority levels: which unit handles a procedure's dossiers.
const (
	Commune  = "commune"
	Province = "province"
)

// Field kinds, which decide how a form shows and checks a field.
const (
	KindText = "text"
	KindDate = "date" // YYYY-MM-DD
	KindPIN  = "pin"
	KindUnit = "unit" // a province code or a commune code, by the field's name
	KindSex  = "sex"
	KindCode = "code" // an ethnic-group or other short code
)

// Field is one entry of a procedure's form. A field with From set is filled
// from the registry; if Locked, the citizen cannot change it, and a request
// that does is refused.
type Field struct {
	Name     string `json:"name"`
	Label    Text   `json:"label"`
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	// From names the registry value that prefills the field (see prefill).
	From   string `json:"from,omitempty"`
	Locked bool   `json:"locked"`
	Max    int    `json:"max_length,omitempty"`
}

// AttachmentSpec is a document a dossier carries: what it is, whether it is
// required, which content types are accepted and how large a file may be.
type AttachmentSpec struct {
	Kind     string   `json:"kind"`
	Name     Text     `json:"name"`
	Required bool     `json:"required"`
	Types    []string `json:"types"`
	MaxBytes int64    `json:"max_bytes"`
}

// Procedure is one online public service as data: the built-in catalogue
// holds the statutory ones, and an administrator changes the fee, the
// deadline and the attachments of each without a release (Settings).
type Procedure struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
	// Authority is Commune or Province: the unit of the relevant residence
	// (see Dossier.Authority) whose officers decide.
	Authority string `json:"authority"`
	// Level is the electronic-identification level (1 or 2) required.
	Level int `json:"level"`
	// Fee in Vietnamese đồng.
	Fee int64 `json:"fee"`
	// DeadlineDays is the legal deadline in working days from submission.
	DeadlineDays int              `json:"deadline_days"`
	Fields       []Field          `json:"fields"`
	Attachments  []AttachmentSpec `json:"attachments"`
	// Event is the life event an approval applies to the registry; "" for a
	// procedure whose result is a document (a confirmation).
	Event string `json:"event,omitempty"`
	// LegalBasis is cited as the event's reason.
	LegalBasis string `json:"legal_basis"`
}

// Field returns the field named name.
func (p *Procedure) Field(name string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Attachment returns the attachment spec of kind.
func (p *Procedure) Attachment(kind string) (AttachmentSpec, bool) {
	for _, a := range p.Attachments {
		if a.Kind == kind {
			return a, true
		}
	}
	return AttachmentSpec{}, false
}

// Document content types accepted by default: scans and photos.
var (
	docTypes   = []string{"application/pdf", "image/jpeg", "image/png"}
	photoTypes = []string{"image/jpeg", "image/png"}
)

const defaultMaxBytes = 5 << 20

// Common fields, prefilled from the applicant's own record and locked.
var (
	fName    = Field{Name: "full_name", Label: Text{"Họ, chữ đệm và tên", "Full name"}, Kind: KindText, Required: true, From: "full_name", Locked: true}
	fPIN     = Field{Name: "pin", Label: Text{"Số định danh cá nhân", "Personal identification number"}, Kind: KindPIN, Required: true, From: "pin", Locked: true}
	fBirth   = Field{Name: "birth_date", Label: Text{"Ngày sinh", "Date of birth"}, Kind: KindText, Required: true, From: "birth_date", Locked: true}
	fPerm    = Field{Name: "permanent_address", Label: Text{"Nơi thường trú", "Permanent residence"}, Kind: KindText, From: "permanent_address", Locked: true}
	fPhone   = Field{Name: "phone", Label: Text{"Số điện thoại", "Phone"}, Kind: KindText, From: "phone", Max: 10}
	fProv    = Field{Name: "province", Label: Text{"Tỉnh, thành phố", "Province"}, Kind: KindUnit, Required: true, Max: 2}
	fCommune = Field{Name: "commune", Label: Text{"Xã, phường, đặc khu", "Commune"}, Kind: KindUnit, Required: true, Max: 5}
	fAddress = Field{Name: "address", Label: Text{"Số nhà, đường phố, thôn", "House number, street, hamlet"}, Kind: KindText, Required: true, Max: 300}
)

// optional returns f not required: the form checks it with others (an
// address, or a household to join).
func optional(f Field) Field {
	f.Required = false
	return f
}

// builtin is the statutory catalogue (Law on Residence 2020, Decree
// 154/2024, Law on Civil Status 2014, Law on Identification 2023, and the
// fee circulars), in the order the portal lists it.
var builtin = []Procedure{
	{
		Code: "permanent_residence_registration", Name: Text{"Đăng ký thường trú", "Permanent residence registration"},
		Authority: Commune, Level: 2, Fee: 10_000, DeadlineDays: 7, Event: "permanent_residence_registration",
		LegalBasis: "Luật Cư trú 2020, điều 22",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone, optional(fProv), optional(fCommune), optional(fAddress),
			{Name: "household_id", Label: Text{"Hộ gia đình nhập vào (nếu có)", "Household to join (if any)"}, Kind: KindText, Max: 40},
			{Name: "relationship", Label: Text{"Quan hệ với chủ hộ", "Relationship to the head"}, Kind: KindText, Max: 20}},
		Attachments: []AttachmentSpec{{Kind: "lawful_residence", Name: Text{"Giấy tờ chứng minh chỗ ở hợp pháp", "Proof of lawful residence"}, Required: true, Types: docTypes, MaxBytes: defaultMaxBytes}},
	},
	{
		Code: "temporary_residence_registration", Name: Text{"Đăng ký tạm trú", "Temporary residence registration"},
		Authority: Commune, Level: 2, Fee: 7_000, DeadlineDays: 3, Event: "temporary_residence_registration",
		LegalBasis: "Luật Cư trú 2020, điều 28",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone, fProv, fCommune, fAddress,
			{Name: "valid_to", Label: Text{"Tạm trú đến ngày", "Until"}, Kind: KindDate}},
		Attachments: []AttachmentSpec{{Kind: "lawful_residence", Name: Text{"Giấy tờ chứng minh chỗ ở hợp pháp", "Proof of lawful residence"}, Required: true, Types: docTypes, MaxBytes: defaultMaxBytes}},
	},
	{
		Code: "temporary_absence_declaration", Name: Text{"Khai báo tạm vắng", "Declaration of temporary absence"},
		Authority: Commune, Level: 1, Fee: 0, DeadlineDays: 1, Event: "temporary_absence_declaration",
		LegalBasis: "Luật Cư trú 2020, điều 31",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone,
			{Name: "destination", Label: Text{"Nơi đến", "Destination"}, Kind: KindText, Required: true, Max: 300},
			{Name: "to", Label: Text{"Tạm vắng đến ngày", "Absent until"}, Kind: KindDate}},
	},
	{
		Code: "birth_registration", Name: Text{"Đăng ký khai sinh (cấp số định danh cá nhân)", "Birth registration (with a personal identification number)"},
		Authority: Commune, Level: 2, Fee: 0, DeadlineDays: 1, Event: "birth_registration",
		LegalBasis: "Luật Hộ tịch 2014, điều 16",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone,
			{Name: "child_full_name", Label: Text{"Họ, chữ đệm và tên của trẻ", "Child's full name"}, Kind: KindText, Required: true, Max: 100},
			{Name: "child_birth_date", Label: Text{"Ngày sinh của trẻ", "Child's date of birth"}, Kind: KindDate, Required: true},
			{Name: "child_sex", Label: Text{"Giới tính của trẻ", "Child's sex"}, Kind: KindSex, Required: true},
			{Name: "place_of_birth", Label: Text{"Nơi sinh", "Place of birth"}, Kind: KindText, Required: true, Max: 300},
			{Name: "ethnicity", Label: Text{"Dân tộc (mã)", "Ethnic group (code)"}, Kind: KindCode, Required: true, From: "ethnicity", Max: 2},
			{Name: "other_parent_pin", Label: Text{"Số định danh của cha hoặc mẹ còn lại", "The other parent's PIN"}, Kind: KindPIN, From: "spouse_pin"}},
		Attachments: []AttachmentSpec{{Kind: "birth_certificate", Name: Text{"Giấy chứng sinh", "Medical birth certificate"}, Required: true, Types: docTypes, MaxBytes: defaultMaxBytes}},
	},
	{
		Code: "death_registration", Name: Text{"Đăng ký khai tử", "Death registration"},
		Authority: Commune, Level: 2, Fee: 0, DeadlineDays: 1, Event: "death",
		LegalBasis: "Luật Hộ tịch 2014, điều 33",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone,
			{Name: "deceased_pin", Label: Text{"Số định danh của người chết", "PIN of the deceased"}, Kind: KindPIN, Required: true},
			{Name: "date_of_death", Label: Text{"Ngày chết", "Date of death"}, Kind: KindDate, Required: true},
			{Name: "relationship", Label: Text{"Quan hệ với người chết", "Relationship to the deceased"}, Kind: KindText, Required: true, Max: 40}},
		Attachments: []AttachmentSpec{{Kind: "death_notice", Name: Text{"Giấy báo tử", "Death notice"}, Required: true, Types: docTypes, MaxBytes: defaultMaxBytes}},
	},
	{
		Code: "id_card_issue", Name: Text{"Cấp thẻ căn cước", "Issue of the ID card"},
		Authority: Province, Level: 2, Fee: 0, DeadlineDays: 7, Event: "id_card_issued",
		LegalBasis:  "Luật Căn cước 2023, điều 24",
		Fields:      []Field{fName, fPIN, fBirth, fPerm, fPhone},
		Attachments: []AttachmentSpec{{Kind: "portrait", Name: Text{"Ảnh chân dung", "Portrait photograph"}, Required: true, Types: photoTypes, MaxBytes: 2 << 20}},
	},
	{
		Code: "id_card_reissue", Name: Text{"Cấp đổi, cấp lại thẻ căn cước", "Re-issue of the ID card"},
		Authority: Province, Level: 2, Fee: 50_000, DeadlineDays: 7, Event: "id_card_issued",
		LegalBasis: "Luật Căn cước 2023, điều 24; Thông tư 73/2024/TT-BTC",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone,
			{Name: "reason", Label: Text{"Lý do (mất, hỏng, thay đổi thông tin)", "Reason (lost, damaged, changed details)"}, Kind: KindText, Required: true, Max: 300}},
		Attachments: []AttachmentSpec{{Kind: "portrait", Name: Text{"Ảnh chân dung", "Portrait photograph"}, Required: true, Types: photoTypes, MaxBytes: 2 << 20}},
	},
	{
		Code: "residence_confirmation", Name: Text{"Xác nhận thông tin về cư trú", "Confirmation of residence information"},
		Authority: Commune, Level: 1, Fee: 0, DeadlineDays: 1,
		LegalBasis: "Luật Cư trú 2020, điều 17; Thông tư 55/2021/TT-BCA",
		Fields: []Field{fName, fPIN, fBirth, fPerm, fPhone,
			{Name: "purpose", Label: Text{"Mục đích", "Purpose"}, Kind: KindText, Required: true, Max: 300}},
	},
}

// Settings is what an administrator may change about a procedure without a
// release. Nil fields keep the built-in value.
type Settings struct {
	Fee          *int64           `json:"fee,omitempty"`
	DeadlineDays *int             `json:"deadline_days,omitempty"`
	Attachments  []AttachmentSpec `json:"attachments,omitempty"`
	// Disabled takes the procedure off the portal (dossiers in progress go on).
	Disabled *bool `json:"disabled,omitempty"`
}

// settingsKind is the directory kind of procedure settings.
const settingsKind = "services.procedure"

// ErrInvalid wraps every validation error of this package: its message
// names the field and the rule, never personal data.
var ErrInvalid = errors.New("invalid")

func invalidf(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// check validates settings for p.
func (s Settings) check() error {
	if s.Fee != nil && (*s.Fee < 0 || *s.Fee > 100_000_000) {
		return invalidf("fee", "must be between 0 and 100,000,000 đồng")
	}
	if s.DeadlineDays != nil && (*s.DeadlineDays < 1 || *s.DeadlineDays > 90) {
		return invalidf("deadline_days", "must be between 1 and 90 working days")
	}
	seen := map[string]bool{}
	for i, a := range s.Attachments {
		f := fmt.Sprintf("attachments[%d]", i)
		switch {
		case !isCode(a.Kind):
			return invalidf(f+".kind", "must be 1-40 lowercase letters, digits and _")
		case seen[a.Kind]:
			return invalidf(f+".kind", "repeated")
		case strings.TrimSpace(a.Name.VI) == "" || len(a.Name.VI) > 200 || len(a.Name.EN) > 200:
			return invalidf(f+".name", "a Vietnamese name of at most 200 bytes is required")
		case len(a.Types) == 0:
			return invalidf(f+".types", "at least one content type")
		case a.MaxBytes < 1 || a.MaxBytes > MaxAttachmentBytes:
			return invalidf(f+".max_bytes", "must be between 1 and %d", MaxAttachmentBytes)
		}
		for _, t := range a.Types {
			if !slices.Contains(AllowedTypes, t) {
				return invalidf(f+".types", "%q is not one of %s", t, strings.Join(AllowedTypes, ", "))
			}
		}
		seen[a.Kind] = true
	}
	return nil
}

func isCode(s string) bool {
	return len(s) > 0 && len(s) <= 40 && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
}

// AllowedTypes are the content types an attachment may have, detected from
// its bytes: documents and photos, nothing executable or scriptable.
var AllowedTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// MaxAttachmentBytes bounds any attachment whatever the settings say.
const MaxAttachmentBytes = 10 << 20

// Catalogue is the procedures with the administrator's settings applied.
type Catalogue struct {
	dir store.Directory
}

// apply returns p with s applied.
func (p Procedure) apply(s Settings) Procedure {
	if s.Fee != nil {
		p.Fee = *s.Fee
	}
	if s.DeadlineDays != nil {
		p.DeadlineDays = *s.DeadlineDays
	}
	if s.Attachments != nil {
		p.Attachments = s.Attachments
	}
	return p
}

// builtinProcedure returns the built-in definition of code.
func builtinProcedure(code string) (Procedure, bool) {
	for _, p := range builtin {
		if p.Code == code {
			return p, true
		}
	}
	return Procedure{}, false
}

// settings reads the administrator's settings of code (zero if none) and
// the directory version they were read at.
func (c *Catalogue) settings(ctx context.Context, code string) (Settings, int64, error) {
	rec, err := c.dir.DirRecord(ctx, settingsKind, code)
	if errors.Is(err, store.ErrNotFound) {
		return Settings{}, 0, nil
	}
	if err != nil {
		return Settings{}, 0, err
	}
	var s Settings
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return Settings{}, 0, fmt.Errorf("services: decode settings of %s: %w", code, err)
	}
	return s, rec.Version, nil
}

// Procedure returns the current definition of a procedure, and whether it
// is offered (not disabled). ErrNotFound (wrapped) for an unknown code.
func (c *Catalogue) Procedure(ctx context.Context, code string) (Procedure, bool, error) {
	p, ok := builtinProcedure(code)
	if !ok {
		return Procedure{}, false, fmt.Errorf("services: procedure: %w", store.ErrNotFound)
	}
	s, _, err := c.settings(ctx, code)
	if err != nil {
		return Procedure{}, false, err
	}
	return p.apply(s), s.Disabled == nil || !*s.Disabled, nil
}

// Listing is a procedure as the catalogue lists it.
type Listing struct {
	Procedure
	Offered bool `json:"offered"`
}

// List returns every procedure with its settings, in catalogue order.
func (c *Catalogue) List(ctx context.Context) ([]Listing, error) {
	recs, err := c.dir.DirRecords(ctx, settingsKind, "")
	if err != nil {
		return nil, err
	}
	byCode := map[string]Settings{}
	for _, r := range recs {
		var s Settings
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return nil, fmt.Errorf("services: decode settings of %s: %w", r.ID, err)
		}
		byCode[r.ID] = s
	}
	out := make([]Listing, 0, len(builtin))
	for _, p := range builtin {
		s := byCode[p.Code]
		out = append(out, Listing{Procedure: p.apply(s), Offered: s.Disabled == nil || !*s.Disabled})
	}
	return out, nil
}

// Configure replaces the administrator's settings of a procedure and
// returns the procedure as it now stands. Settings merge onto the built-in
// definition, never onto earlier settings, so a reset is an empty Settings.
func (c *Catalogue) Configure(ctx context.Context, code string, s Settings) (Listing, error) {
	if _, ok := builtinProcedure(code); !ok {
		return Listing{}, fmt.Errorf("services: procedure: %w", store.ErrNotFound)
	}
	if err := s.check(); err != nil {
		return Listing{}, err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return Listing{}, err
	}
	_, version, err := c.settings(ctx, code)
	if err != nil {
		return Listing{}, err
	}
	if err := c.dir.PutDirRecord(ctx, store.DirRecord{Kind: settingsKind, ID: code, Version: version + 1, Data: data}); err != nil {
		return Listing{}, err
	}
	p, offered, err := c.Procedure(ctx, code)
	return Listing{Procedure: p, Offered: offered}, err
}
