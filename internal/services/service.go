package services

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/vntext"
)

// Citizen is the signed-in citizen as this package needs them: the portal
// (package eid) supplies it through Sessions.
type Citizen struct {
	AccountID string
	PIN       string
	Level     int // electronic-identification level, 1 or 2
	// SessionID names the citizen's sign-in; the portal's forms carry a
	// CSRF token derived from it.
	SessionID string
}

// Sessions finds the citizen signed in on a request.
type Sessions interface {
	Current(r *http.Request) (Citizen, bool)
}

// SMS sends a text message. The portal's sender (package eid) is adapted to
// it in cmd/dancu; messages name the dossier code and status, never
// personal data.
type SMS interface {
	Send(ctx context.Context, phone, text string) error
}

// Deps are a Service's dependencies. Store, Registry, Recorder and Logger
// are required.
type Deps struct {
	Store    store.Store
	Registry *registry.Registry
	Recorder audit.Recorder
	Logger   *slog.Logger
	Calendar *Calendar // nil: weekends only
	SMS      SMS       // nil: no text messages
	Now      func() time.Time
}

// Service runs the online public services: the catalogue, citizens'
// dossiers and officers' decisions. It keeps no state of its own.
type Service struct {
	st  store.Store
	reg *registry.Registry
	rec audit.Recorder
	log *slog.Logger
	cal *Calendar
	sms SMS
	now func() time.Time
	cat *Catalogue
}

// New returns a Service. It panics on a missing dependency (a wiring bug).
func New(d Deps) *Service {
	if d.Store == nil || d.Registry == nil || d.Recorder == nil || d.Logger == nil {
		panic("services: Store, Registry, Recorder and Logger are required")
	}
	if d.Calendar == nil {
		d.Calendar, _ = NewCalendar(nil)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{st: d.Store, reg: d.Registry, rec: d.Recorder, log: d.Logger, cal: d.Calendar,
		sms: d.SMS, now: d.Now, cat: &Catalogue{dir: d.Store}}
}

// Catalogue returns the procedures with the administrator's settings.
func (s *Service) Catalogue() *Catalogue { return s.cat }

// Calendar returns the working-day calendar the deadlines use.
func (s *Service) Calendar() *Calendar { return s.cal }

// clock returns the time, truncated to what every store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Form is a procedure's form for one citizen: the procedure and the values
// prefilled from their record.
type Form struct {
	Procedure Procedure         `json:"procedure"`
	Values    map[string]string `json:"values"`
}

// self reads the citizen's own record. A citizen reading their own record
// is not an access to be logged (issue 4): nobody else sees it.
func (s *Service) self(ctx context.Context, c Citizen) (*registry.Person, error) {
	rec, err := s.reg.Person(ctx, c.PIN, registry.Date{})
	if registry.KindOf(err) == registry.NotFound || registry.KindOf(err) == registry.Invalid {
		return nil, refuse(KindForbidden, "", "the signed-in account has no record in the registry")
	}
	if err != nil {
		return nil, err
	}
	return rec.Person, nil
}

// offered returns a procedure the citizen may use.
func (s *Service) offered(ctx context.Context, c Citizen, code string) (Procedure, error) {
	p, ok, err := s.cat.Procedure(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return p, refuse(KindNotFound, "procedure", "no such procedure")
	}
	if err != nil {
		return p, err
	}
	if !ok {
		return p, refuse(KindConflict, "procedure", "not offered online at present")
	}
	if c.Level < p.Level {
		return p, refuse(KindForbidden, "procedure", "requires electronic identification level %d; the account is level %d", p.Level, c.Level)
	}
	return p, nil
}

// Prefill returns the form of a procedure with the values the registry
// holds for the citizen.
func (s *Service) Prefill(ctx context.Context, c Citizen, code string) (*Form, error) {
	p, err := s.offered(ctx, c, code)
	if err != nil {
		return nil, err
	}
	me, err := s.self(ctx, c)
	if err != nil {
		return nil, err
	}
	return &Form{Procedure: p, Values: prefill(p, me)}, nil
}

// prefill returns the registry's value of each field that has one.
func prefill(p Procedure, me *registry.Person) map[string]string {
	vals := map[string]string{}
	for _, f := range p.Fields {
		if f.From == "" {
			continue
		}
		var v string
		switch f.From {
		case "full_name":
			v = me.FullName
		case "pin":
			v = me.PIN
		case "birth_date":
			v = me.BirthDate.String()
		case "permanent_address":
			v = formatResidence(me.PermanentResidence)
		case "phone":
			v = me.Phone
		case "ethnicity":
			v = me.Ethnicity
		case "spouse_pin":
			if me.Spouse != nil {
				v = me.Spouse.PIN
			}
		}
		vals[f.Name] = v
	}
	return vals
}

// formatResidence writes an address with its commune and province names.
func formatResidence(r *registry.Residence) string {
	if r == nil {
		return ""
	}
	parts := []string{r.Address}
	now := time.Now()
	if c, ok := units.LookupCommune(r.Commune, now); ok {
		parts = append(parts, c.Name)
	}
	if p, ok := units.LookupProvince(r.Province, now); ok {
		parts = append(parts, p.Name)
	}
	return strings.Join(parts, ", ")
}

// Upload is a file a citizen attaches.
type Upload struct {
	Kind    string
	Name    string
	Content []byte
}

// SubmitInput is a citizen's application.
type SubmitInput struct {
	Procedure string
	Fields    map[string]string
	Uploads   []Upload
	// IdemKey makes a retried submission find the first: at most 100
	// characters; "" for none.
	IdemKey string
}

// Submit checks an application against the procedure and the registry and
// files it: the dossier goes to the queue of the competent authority with
// its appointment date. A retried submission with the same IdemKey returns
// the first dossier (replay true) and files nothing.
func (s *Service) Submit(ctx context.Context, c Citizen, in SubmitInput) (d *Dossier, replay bool, err error) {
	if len(in.IdemKey) > 100 || !utf8.ValidString(in.IdemKey) {
		return nil, false, refuse(KindInvalid, "idempotency_key", "at most 100 characters")
	}
	p, err := s.offered(ctx, c, in.Procedure)
	if err != nil {
		return nil, false, err
	}
	me, err := s.self(ctx, c)
	if err != nil {
		return nil, false, err
	}
	fields, err := checkFields(p, prefill(p, me), in.Fields)
	if err != nil {
		return nil, false, err
	}
	now := s.clock()
	d = &Dossier{
		Code: newCode(now.In(registry.Vietnam)), Version: 1, Procedure: p.Code, Status: Submitted,
		ApplicantPIN: c.PIN, AccountID: c.AccountID, Fields: fields, Fee: p.Fee, DeadlineDays: p.DeadlineDays,
		SubmittedAt: now, History: []Step{{At: now, Status: Submitted, Actor: "citizen"}},
	}
	if err := s.route(ctx, c, p, me, d); err != nil {
		return nil, false, err
	}
	atts, err := s.attachments(p, d, in.Uploads, now, true)
	if err != nil {
		return nil, false, err
	}
	day, end := s.cal.Due(now, p.DeadlineDays)
	d.Appointment, d.DueAt = day.Format(time.DateOnly), end.UTC()
	row, err := d.row()
	if err != nil {
		return nil, false, err
	}
	row.IdemKey = in.IdemKey
	prev, err := s.st.CreateDossier(ctx, row, atts, &store.NotificationRow{PIN: c.PIN, Dossier: d.Code, Kind: Submitted, CreatedAt: now})
	if errors.Is(err, store.ErrExists) && prev.Code != "" {
		d, err := decode(prev)
		return d, true, err
	}
	if err != nil {
		return nil, false, err
	}
	s.text(ctx, d, Submitted)
	return d, false, nil
}

// checkFields merges what the citizen sent with the registry's values:
// locked fields must be absent or equal to the registry's value, required
// fields present, every field known and of its kind.
func checkFields(p Procedure, registryVals, sent map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name := range sent {
		if _, ok := p.Field(name); !ok {
			return nil, refuse(KindInvalid, "fields."+name, "not a field of this procedure")
		}
	}
	for _, f := range p.Fields {
		v, given := sent[f.Name]
		v = strings.TrimSpace(vntext.Normalize(v))
		if f.Locked {
			if given && v != "" && v != registryVals[f.Name] {
				return nil, refuse(KindInvalid, "fields."+f.Name, "is taken from the registry and cannot be changed here; ask for a correction of the record")
			}
			v = registryVals[f.Name]
		} else if !given || v == "" {
			v = registryVals[f.Name]
		}
		if v == "" {
			if f.Required {
				return nil, refuse(KindInvalid, "fields."+f.Name, "required")
			}
			continue
		}
		if err := checkValue(f, v); err != nil {
			return nil, err
		}
		out[f.Name] = v
	}
	return out, nil
}

// checkValue checks one field's value against its kind.
func checkValue(f Field, v string) error {
	field := "fields." + f.Name
	max := f.Max
	if max == 0 {
		max = 300
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max || strings.ContainsAny(v, "\x00\r\n") {
		return refuse(KindInvalid, field, "at most %d characters on one line", max)
	}
	switch f.Kind {
	case KindDate:
		d, err := registry.ParseDate(v)
		if err != nil || !d.IsFull() {
			return refuse(KindInvalid, field, "must be a date YYYY-MM-DD")
		}
	case KindPIN:
		if _, err := pin.Parse(v); err != nil {
			return refuse(KindInvalid, field, "not a valid personal identification number")
		}
	case KindSex:
		if v != string(registry.Male) && v != string(registry.Female) {
			return refuse(KindInvalid, field, "must be male or female")
		}
	case KindUnit:
		if strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return refuse(KindInvalid, field, "must be a unit code of digits")
		}
	}
	return nil
}

// route decides whom the dossier concerns and which unit handles it, and
// takes the snapshot that approval compares with.
func (s *Service) route(ctx context.Context, c Citizen, p Procedure, me *registry.Person, d *Dossier) error {
	subject := me
	switch p.Code {
	case "birth_registration":
		d.SubjectPIN = ""
		if me.PermanentResidence == nil || me.HouseholdID == "" {
			return refuse(KindConflict, "", "the applicant has no permanent residence and household to register the child in")
		}
		if other := d.Fields["other_parent_pin"]; other == c.PIN {
			return refuse(KindInvalid, "fields.other_parent_pin", "the applicant's own number")
		}
	case "death_registration":
		dp := d.Fields["deceased_pin"]
		if dp == c.PIN {
			return refuse(KindInvalid, "fields.deceased_pin", "the applicant's own number")
		}
		// Reading another person's record to route the dossier is an
		// access on the applicant's behalf: logged before use.
		if err := s.rec.Record(ctx, audit.Access{ActorKind: "citizen", Actor: c.AccountID, PIN: dp,
			Fields: []string{"status", "permanent_residence", "household_id"}, Action: "read", Purpose: "death_registration"}); err != nil {
			return err
		}
		rec, err := s.reg.Person(ctx, dp, registry.Date{})
		if registry.KindOf(err) == registry.NotFound {
			return refuse(KindInvalid, "fields.deceased_pin", "no person with this number")
		}
		if err != nil {
			return err
		}
		subject = rec.Person
		if subject.Status.State != registry.Alive {
			return refuse(KindConflict, "fields.deceased_pin", "the person's death or disappearance is already recorded")
		}
		d.SubjectPIN = dp
	default:
		d.SubjectPIN = c.PIN
	}
	if subject.Status.State != registry.Alive && p.Code != "death_registration" {
		return refuse(KindConflict, "", "the record is not that of a living person")
	}
	d.Snapshot = snapshotOf(subject)
	if p.Code == "birth_registration" {
		d.Snapshot = snapshotOf(me)
	}
	switch p.Code {
	case "permanent_residence_registration", "temporary_residence_registration":
		if hid := d.Fields["household_id"]; hid != "" {
			if d.Fields["province"]+d.Fields["commune"]+d.Fields["address"] != "" {
				return refuse(KindInvalid, "fields.household_id", "give either a household to join or an address, not both")
			}
			if d.Fields["relationship"] == "" {
				return refuse(KindInvalid, "fields.relationship", "required to join a household")
			}
			h, err := s.reg.Household(ctx, hid)
			if registry.KindOf(err) == registry.NotFound {
				return refuse(KindInvalid, "fields.household_id", "no such household")
			}
			if err != nil {
				return err
			}
			if h.Household.Head == "" {
				return refuse(KindConflict, "fields.household_id", "the household is dissolved")
			}
			d.Snapshot.TargetHousehold, d.Snapshot.TargetHead = hid, h.Household.Head
			d.Authority = Unit{Province: h.Household.Address.Province, Commune: h.Household.Address.Commune}
		} else {
			for _, f := range []string{"province", "commune", "address"} {
				if d.Fields[f] == "" {
					return refuse(KindInvalid, "fields."+f, "required, unless a household to join is given")
				}
			}
			prov, comm := d.Fields["province"], d.Fields["commune"]
			if err := checkUnitCodes(prov, comm); err != nil {
				return err
			}
			d.Authority = Unit{Province: prov, Commune: comm}
		}
	default:
		if subject.PermanentResidence == nil {
			return refuse(KindConflict, "", "the person has no permanent residence on record: apply at the commune of current residence")
		}
		d.Authority = Unit{Province: subject.PermanentResidence.Province, Commune: subject.PermanentResidence.Commune}
	}
	if p.Authority == Province {
		d.Authority.Commune = ""
	}
	return nil
}

// checkUnitCodes checks a province and commune of today's list.
func checkUnitCodes(prov, comm string) error {
	now := time.Now()
	if _, ok := units.LookupProvince(prov, now); !ok {
		return refuse(KindInvalid, "fields.province", "no such province")
	}
	c, ok := units.LookupCommune(comm, now)
	if !ok {
		return refuse(KindInvalid, "fields.commune", "no such commune")
	}
	if c.ProvinceCode != prov {
		return refuse(KindInvalid, "fields.commune", "not in the given province")
	}
	return nil
}

func snapshotOf(p *registry.Person) Snapshot {
	sn := Snapshot{PIN: p.PIN, State: string(p.Status.State), HouseholdID: p.HouseholdID}
	if r := p.PermanentResidence; r != nil {
		sn.Province, sn.Commune, sn.Address = r.Province, r.Commune, r.Address
	}
	return sn
}

// attachments checks uploads against the procedure (kind, size, content
// type detected from the bytes) and, when complete, that every required
// kind is there. They are hashed and returned as store rows; d lists them.
func (s *Service) attachments(p Procedure, d *Dossier, ups []Upload, now time.Time, complete bool) ([]store.AttachmentRow, error) {
	var rows []store.AttachmentRow
	have := map[string]bool{}
	for _, a := range d.Attachments {
		have[a.Kind] = true
	}
	if len(ups)+len(d.Attachments) > 20 {
		return nil, refuse(KindInvalid, "attachments", "at most 20 files")
	}
	for i, u := range ups {
		field := fmt.Sprintf("attachments[%d]", i)
		spec, ok := p.Attachment(u.Kind)
		if !ok {
			return nil, refuse(KindInvalid, field+".kind", "not an attachment of this procedure")
		}
		limit := min(spec.MaxBytes, MaxAttachmentBytes)
		if limit <= 0 {
			limit = defaultMaxBytes
		}
		if int64(len(u.Content)) > limit {
			return nil, refuse(KindInvalid, field, "larger than %d bytes", limit)
		}
		if len(u.Content) == 0 {
			return nil, refuse(KindInvalid, field, "empty file")
		}
		ct := DetectType(u.Content)
		if !slices.Contains(spec.Types, ct) {
			return nil, refuse(KindInvalid, field, "the content is not of an accepted type (%s)", strings.Join(spec.Types, ", "))
		}
		name := cleanName(u.Name)
		sum := sha256.Sum256(u.Content)
		id := fmt.Sprintf("a%d", len(d.Attachments)+1)
		d.Attachments = append(d.Attachments, AttachmentRef{ID: id, Kind: u.Kind, Name: name, ContentType: ct,
			Size: int64(len(u.Content)), SHA256: hex.EncodeToString(sum[:]), At: now})
		rows = append(rows, store.AttachmentRow{Dossier: d.Code, ID: id, Kind: u.Kind, Name: name, ContentType: ct,
			Size: int64(len(u.Content)), SHA256: sum[:], CreatedAt: now, Content: u.Content})
		have[u.Kind] = true
	}
	if complete {
		for _, spec := range p.Attachments {
			if spec.Required && !have[spec.Kind] {
				return nil, refuse(KindInvalid, "attachments", "%s is required", spec.Kind)
			}
		}
	}
	return rows, nil
}

// DetectType returns the content type of a file from its first bytes
// (http.DetectContentType's sniffing, which reads the magic numbers of PDF,
// JPEG and PNG), without parameters.
func DetectType(b []byte) string {
	ct := http.DetectContentType(b)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}

// cleanName keeps a file name displayable: its last path element, printable
// characters, at most 100 runes.
func cleanName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(n, ""))
	if utf8.RuneCountInString(n) > 100 {
		n = string([]rune(n)[:100])
	}
	if n == "" {
		n = "file"
	}
	return n
}

// text sends the applicant a text message about a dossier, if an SMS
// sender is set and the dossier has a phone number. A failure is logged,
// not returned: the portal notification is the record.
func (s *Service) text(ctx context.Context, d *Dossier, kind string) {
	phone := d.Fields["phone"]
	if s.sms == nil || phone == "" {
		return
	}
	msg := fmt.Sprintf("dancu: ho so %s - %s", d.Code, smsStatus[kind])
	if err := s.sms.Send(ctx, phone, msg); err != nil {
		s.log.WarnContext(ctx, "sms not sent", "dossier", d.Code, "error", err.Error())
	}
}

// smsStatus words a notification in a text message (ASCII, so that it
// fits one GSM-7 segment).
var smsStatus = map[string]string{
	Submitted:     "da tiep nhan, xem hen tra ket qua tren cong dich vu",
	InProgress:    "dang xu ly",
	InfoRequested: "can bo sung thong tin, vui long xem tren cong dich vu",
	Approved:      "da duoc giai quyet",
	Rejected:      "bi tu choi, xem ly do tren cong dich vu",
	Withdrawn:     "da rut",
}

// get returns a dossier by code.
func (s *Service) get(ctx context.Context, code string) (*Dossier, error) {
	row, err := s.st.Dossier(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(KindNotFound, "code", "no such dossier")
	}
	if err != nil {
		return nil, err
	}
	return decode(row)
}

// Mine returns one of the citizen's dossiers; another's is NotFound.
func (s *Service) Mine(ctx context.Context, c Citizen, code string) (*Dossier, error) {
	d, err := s.get(ctx, code)
	if err != nil {
		return nil, err
	}
	if d.ApplicantPIN != c.PIN {
		return nil, refuse(KindNotFound, "code", "no such dossier")
	}
	return d, nil
}

// MyDossiers lists the citizen's dossiers, newest first, after the cursor
// (the code of the last dossier of the previous page).
func (s *Service) MyDossiers(ctx context.Context, c Citizen, after string, limit int) ([]*Dossier, error) {
	q := store.DossierQuery{ApplicantPIN: c.PIN, Limit: limit}
	if after != "" {
		prev, err := s.Mine(ctx, c, after)
		if err != nil {
			return nil, err
		}
		q.AfterTime, q.AfterCode = prev.SubmittedAt, prev.Code
	}
	rows, err := s.st.DossierList(ctx, q)
	if err != nil {
		return nil, err
	}
	return decodeAll(rows)
}

func decodeAll(rows []store.DossierRow) ([]*Dossier, error) {
	out := make([]*Dossier, len(rows))
	for i, r := range rows {
		d, err := decode(r)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// MyAttachment returns an attachment of one of the citizen's dossiers.
func (s *Service) MyAttachment(ctx context.Context, c Citizen, code, id string) (store.AttachmentRow, error) {
	if _, err := s.Mine(ctx, c, code); err != nil {
		return store.AttachmentRow{}, err
	}
	return s.attachment(ctx, code, id)
}

func (s *Service) attachment(ctx context.Context, code, id string) (store.AttachmentRow, error) {
	a, err := s.st.Attachment(ctx, code, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, refuse(KindNotFound, "id", "no such attachment")
	}
	return a, err
}

// Notifications returns the citizen's latest notifications.
func (s *Service) Notifications(ctx context.Context, c Citizen, limit int) ([]store.NotificationRow, error) {
	return s.st.Notifications(ctx, c.PIN, 0, limit)
}

// MarkRead marks the citizen's notifications up to id read.
func (s *Service) MarkRead(ctx context.Context, c Citizen, id int64) error {
	return s.st.MarkNotificationsRead(ctx, c.PIN, id, s.clock())
}
