package registry

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/vntext"
)

// The life events. Each validates its data against the current state of the
// records it touches and changes them in memory; the applier writes them.
func init() {
	eventTypes["birth_registration"] = eventType{apply: applyBirth, place: placeRegistration}
	eventTypes["initial_registration"] = eventType{apply: applyInitialRegistration, place: placeRegistration}
	eventTypes["death"] = eventType{subject: true, apply: applyDeath}
	eventTypes["declared_missing"] = eventType{subject: true, apply: applyMissing}
	eventTypes["marriage"] = eventType{subject: true, apply: applyMarriage}
	eventTypes["divorce"] = eventType{subject: true, apply: applyDivorce}
	eventTypes["permanent_residence_registration"] = eventType{subject: true, apply: applyPermanentResidence, place: placeMove}
	eventTypes["temporary_residence_registration"] = eventType{subject: true, apply: applyTemporaryResidence}
	eventTypes["temporary_absence_declaration"] = eventType{subject: true, apply: applyTemporaryAbsence}
	eventTypes["name_change"] = eventType{subject: true, apply: applyNameChange}
	eventTypes["household_split"] = eventType{subject: true, apply: applyHouseholdSplit}
	eventTypes["household_head_change"] = eventType{subject: true, apply: applyHeadChange}
	eventTypes["id_card_issued"] = eventType{subject: true, apply: applyCardIssued}
	eventTypes["correction"] = eventType{subject: true, apply: applyCorrection}
}

// Minimum ages to marry under the Law on Marriage and Family 2014, art. 8.
const (
	marriageAgeMale   = 20
	marriageAgeFemale = 18
)

func mustBeAlive(field string, p *Person) error {
	switch p.Status.State {
	case Dead:
		return conflict(field, "the person is dead")
	case Missing:
		return conflict(field, "the person is declared missing")
	}
	return nil
}

// checkUnit checks that a commune exists in a province on the given date.
func checkUnit(field, province, commune string, at Date) error {
	t := at.Earliest()
	if _, ok := units.LookupProvince(province, t); !ok {
		return invalid(field+".province", "no such province on that date")
	}
	c, ok := units.LookupCommune(commune, t)
	if !ok {
		return invalid(field+".commune", "no such commune on that date")
	}
	if c.ProvinceCode != province {
		return invalid(field+".commune", "not in the given province")
	}
	return nil
}

func checkName(field, name string) (string, error) {
	name = vntext.Normalize(name)
	if err := vntext.ValidName(name); err != nil {
		return "", invalid(field, "%v", err)
	}
	return name, nil
}

func relative(p *Person) *Relative {
	return &Relative{PIN: p.PIN, FullName: p.FullName, Nationality: p.Nationality}
}

type birthData struct {
	FullName          string `json:"full_name"`
	BirthDate         Date   `json:"birth_date"`
	Sex               Sex    `json:"sex"`
	PlaceOfBirth      Place  `json:"place_of_birth"`
	RegistrationPlace Place  `json:"registration_place"`
	Hometown          Place  `json:"hometown"`
	Ethnicity         string `json:"ethnicity"`
	Religion          string `json:"religion"`
	Nationality       string `json:"nationality"`
	FatherPIN         string `json:"father_pin"`
	MotherPIN         string `json:"mother_pin"`
	// Father and Mother name a parent who has no PIN (a foreign parent).
	Father       *Relative `json:"father"`
	Mother       *Relative `json:"mother"`
	HouseholdID  string    `json:"household_id"`
	Relationship string    `json:"relationship"`
	// ConfirmNotDuplicate declares, with NotDuplicateReason, that the
	// people the registry's screen found on record are other people (see
	// Screen): the registration goes ahead, and is recorded with the
	// declaration.
	ConfirmNotDuplicate bool   `json:"confirm_not_duplicate"`
	NotDuplicateReason  string `json:"not_duplicate_reason"`
}

// initialData registers a person who has no record yet: someone missed by
// the 2021 collection, or a citizen returning from abroad. Unlike a birth it
// may found a household at an address.
type initialData struct {
	birthData
	OldIDNumber string         `json:"old_id_number"`
	Address     *residenceData `json:"address"`
}

// Minimum age to found a household (full civil capacity).
const headOfHouseholdAge = 18

func applyBirth(a *applier, raw json.RawMessage) error {
	var d birthData
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	if !d.BirthDate.IsFull() {
		return invalid("data.birth_date", "required, as a full date")
	}
	// A birth is registered on today's units, so the commune is required.
	if err := checkUnit("data.registration_place", d.RegistrationPlace.Province, d.RegistrationPlace.Commune, a.ev.EffectiveDate); err != nil {
		return err
	}
	child, parents, err := a.newPerson(d)
	if err != nil {
		return err
	}
	return a.joinFamilyHousehold(child, parents, d)
}

func applyInitialRegistration(a *applier, raw json.RawMessage) error {
	var d initialData
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	if d.BirthDate.IsZero() {
		return invalid("data.birth_date", "required (a year alone is accepted for old records)")
	}
	// The place of birth registration is recorded with the province code valid
	// at the birth, which for most people is a pre-2025 province with no
	// commune list on record.
	if _, ok := units.LookupProvince(d.RegistrationPlace.Province, d.BirthDate.Latest()); !ok {
		return invalid("data.registration_place.province", "no such province at the date of birth")
	}
	if d.OldIDNumber != "" && (len(d.OldIDNumber) != 9 || strings.Trim(d.OldIDNumber, "0123456789") != "") {
		return invalid("data.old_id_number", "must be 9 digits")
	}
	p, parents, err := a.newPerson(d.birthData)
	if err != nil {
		return err
	}
	p.OldIDNumber = d.OldIDNumber
	if d.Address == nil {
		return a.joinFamilyHousehold(p, parents, d.birthData)
	}
	if d.HouseholdID != "" {
		return invalid("data.address", "give either a household to join or an address, not both")
	}
	if p.BirthDate.AgeAt(a.ev.EffectiveDate.Earliest()) < headOfHouseholdAge {
		return conflict("data.address", "a minor cannot found a household: name the household to join")
	}
	res, err := d.Address.check("data.address", a.ev.EffectiveDate, a.today)
	if err != nil {
		return err
	}
	h := &Household{ID: NewHouseholdID(), Head: p.PIN, Address: res}
	a.createHousehold(h)
	a.joinHousehold(p, h, RelHead)
	return nil
}

// newPerson validates the identity in d, allocates a PIN for it and links the
// parents on record. It does not place the person in a household.
func (a *applier) newPerson(d birthData) (*Person, []*Person, error) {
	name, err := checkName("data.full_name", d.FullName)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case a.ev.EffectiveDate.Before(d.BirthDate):
		return nil, nil, invalid("data.birth_date", "after the registration date")
	case d.Sex != Male && d.Sex != Female:
		return nil, nil, invalid("data.sex", "must be male or female")
	case !KnownEthnicity(d.Ethnicity):
		return nil, nil, invalid("data.ethnicity", "unknown ethnic group code")
	}
	if d.Nationality == "" {
		d.Nationality = "VN"
	}
	d.NotDuplicateReason = strings.TrimSpace(d.NotDuplicateReason)
	if err := checkNotDuplicate(d.ConfirmNotDuplicate, d.NotDuplicateReason); err != nil {
		return nil, nil, err
	}
	a.notDuplicate = d.ConfirmNotDuplicate
	p := &Person{
		FullName: name, BirthDate: d.BirthDate, Sex: d.Sex,
		PlaceOfBirth: d.PlaceOfBirth, BirthRegistrationPlace: d.RegistrationPlace, Hometown: d.Hometown,
		Ethnicity: d.Ethnicity, Religion: d.Religion, Nationality: d.Nationality,
		MaritalStatus: Single, Status: Status{State: Alive},
	}
	var parents []*Person
	for _, par := range []struct {
		field, pin string
		named      *Relative
		sex        Sex
		slot       **Relative
	}{
		{"data.mother_pin", d.MotherPIN, d.Mother, Female, &p.Mother},
		{"data.father_pin", d.FatherPIN, d.Father, Male, &p.Father},
	} {
		if par.pin == "" {
			if par.named != nil {
				n, err := checkName(strings.TrimSuffix(par.field, "_pin")+".full_name", par.named.FullName)
				if err != nil {
					return nil, nil, err
				}
				*par.slot = &Relative{FullName: n, Nationality: par.named.Nationality}
			}
			continue
		}
		q, err := a.person(par.field, par.pin)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case q.Sex != par.sex:
			return nil, nil, conflict(par.field, "the parent's recorded sex does not fit")
		case !q.BirthDate.Before(d.BirthDate):
			return nil, nil, conflict(par.field, "the parent was not born before the child")
		case par.sex == Female && q.Status.State == Dead && q.Status.Date.Before(d.BirthDate):
			return nil, nil, conflict(par.field, "the mother died before the birth")
		}
		*par.slot = relative(q)
		parents = append(parents, q)
	}
	if d.MotherPIN != "" && d.MotherPIN == d.FatherPIN {
		return nil, nil, invalid("data.father_pin", "the same person as the mother")
	}
	if err := a.allocatePIN(p); err != nil {
		return nil, nil, err
	}
	a.create(p)
	for _, q := range parents {
		q.Children = append(q.Children, *relative(p))
		a.touch(q)
	}
	return p, parents, nil
}

// allocatePIN draws a random unused PIN for p from its birth-registration
// province, birth year and sex. Uniqueness against concurrent events is
// enforced by the store when the record is written.
func (a *applier) allocatePIN(p *Person) error {
	prefix := "0" + p.BirthRegistrationPlace.Province
	if _, ok := pin.LookupProvince(prefix); !ok {
		return invalid("data.registration_place.province", "has no PIN province code")
	}
	sex := pin.Male
	if p.Sex == Female {
		sex = pin.Female
	}
	for range 50 {
		cand, err := pin.Random(prefix, p.BirthDate.Year, sex, nil)
		if err != nil {
			return invalid("data.birth_date", "outside the years a PIN can encode")
		}
		used, err := a.tx.PersonExists(a.ctx, cand.String())
		if err != nil {
			return err
		}
		if !used {
			p.PIN = cand.String()
			a.newPIN = p.PIN
			return nil
		}
	}
	return conflict("data", "no free personal identification number could be drawn; retry")
}

// joinFamilyHousehold puts a new person into the named household or, by
// default, the household of the first parent on record that has one.
func (a *applier) joinFamilyHousehold(p *Person, parents []*Person, d birthData) error {
	hid := d.HouseholdID
	for _, q := range parents {
		if hid == "" && q.HouseholdID != "" {
			hid = q.HouseholdID
		}
	}
	if hid == "" {
		return conflict("data.household_id", "no parent has a household: name the household to join")
	}
	h, err := a.household("data.household_id", hid)
	if err != nil {
		return err
	}
	if h.Head == "" {
		return conflict("data.household_id", "the household is dissolved")
	}
	rel := d.Relationship
	if rel == "" {
		rel = deriveRelationship(h, d.MotherPIN, d.FatherPIN)
	} else if err := checkRelationship("data.relationship", rel); err != nil {
		return err
	}
	a.joinHousehold(p, h, rel)
	return nil
}

type endOfLifeData struct {
	headChange
}

func applyDeath(a *applier, raw json.RawMessage) error {
	var d endOfLifeData
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if p.Status.State == Dead {
		return conflict("subject", "the person is already dead")
	}
	if a.ev.EffectiveDate.Before(p.BirthDate) {
		return conflict("effective_date", "before the person's birth")
	}
	p.Status = Status{State: Dead, Date: a.ev.EffectiveDate}
	if p.Spouse != nil && p.Spouse.PIN != "" {
		s, err := a.person("subject", p.Spouse.PIN)
		if err != nil {
			return err
		}
		if s.Status.State != Dead && s.MaritalStatus == Married && s.Spouse != nil && s.Spouse.PIN == p.PIN {
			s.MaritalStatus = Widowed
			a.touch(s)
		}
	}
	// Permanent residence registration ends with death (Law on Residence, art. 24).
	if err := a.leaveHousehold(p, d.headChange); err != nil {
		return err
	}
	a.touch(p)
	return nil
}

func applyMissing(a *applier, raw json.RawMessage) error {
	if err := decodeData(raw, &struct{}{}); err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	p.Status = Status{State: Missing, Date: a.ev.EffectiveDate}
	a.touch(p)
	return nil
}

func applyMarriage(a *applier, raw json.RawMessage) error {
	var d struct {
		SpousePIN string `json:"spouse_pin"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	if d.SpousePIN == "" {
		return invalid("data.spouse_pin", "required")
	}
	if d.SpousePIN == a.ev.Subject {
		return invalid("data.spouse_pin", "the same person as the subject")
	}
	p := a.subject()
	s, err := a.person("data.spouse_pin", d.SpousePIN)
	if err != nil {
		return err
	}
	for _, x := range []struct {
		field string
		p     *Person
	}{{"subject", p}, {"data.spouse_pin", s}} {
		if err := mustBeAlive(x.field, x.p); err != nil {
			return err
		}
		if x.p.MaritalStatus == Married {
			return conflict(x.field, "already married")
		}
		minAge := marriageAgeFemale
		if x.p.Sex == Male {
			minAge = marriageAgeMale
		}
		if x.p.BirthDate.AgeAt(a.ev.EffectiveDate.Earliest()) < minAge {
			return conflict(x.field, "under the legal age to marry")
		}
	}
	if p.Sex == s.Sex {
		return conflict("data.spouse_pin", "the law recognises marriage between a man and a woman only")
	}
	if closeKin(p, s) {
		return conflict("data.spouse_pin", "the two are close relatives")
	}
	p.Spouse, s.Spouse = relative(s), relative(p)
	p.MaritalStatus, s.MaritalStatus = Married, Married
	a.touch(p)
	a.touch(s)
	return nil
}

// closeKin reports a parent–child or sibling relation on record.
func closeKin(p, q *Person) bool {
	parentOf := func(x, y *Person) bool {
		return (y.Father != nil && y.Father.PIN == x.PIN) || (y.Mother != nil && y.Mother.PIN == x.PIN)
	}
	if parentOf(p, q) || parentOf(q, p) {
		return true
	}
	same := func(r, s *Relative) bool { return r != nil && s != nil && r.PIN != "" && r.PIN == s.PIN }
	return same(p.Father, q.Father) || same(p.Mother, q.Mother)
}

func applyDivorce(a *applier, raw json.RawMessage) error {
	if err := decodeData(raw, &struct{}{}); err != nil {
		return err
	}
	p := a.subject()
	if p.MaritalStatus != Married || p.Spouse == nil {
		return conflict("subject", "not married")
	}
	spousePIN := p.Spouse.PIN
	p.MaritalStatus, p.Spouse = Divorced, nil
	a.touch(p)
	if spousePIN == "" {
		return nil // a foreign spouse with no record here
	}
	s, err := a.person("subject", spousePIN)
	if err != nil {
		return err
	}
	if s.Spouse != nil && s.Spouse.PIN == p.PIN {
		s.MaritalStatus, s.Spouse = Divorced, nil
		a.touch(s)
	}
	return nil
}

type residenceData struct {
	Province string `json:"province"`
	Commune  string `json:"commune"`
	Address  string `json:"address"`
}

// check validates a residence and dates it from at. Addresses are kept on
// today's administrative units (the registry converted every address to the
// 2025 units), so the codes are checked against today's list even for an
// event dated earlier.
func (d residenceData) check(field string, at, today Date) (Residence, error) {
	if err := checkUnit(field, d.Province, d.Commune, today); err != nil {
		return Residence{}, err
	}
	addr := vntext.Normalize(d.Address)
	if addr == "" || len(addr) > 300 {
		return Residence{}, invalid(field+".address", "required, at most 300 bytes")
	}
	return Residence{Province: d.Province, Commune: d.Commune, Address: addr, ValidFrom: at}, nil
}

func applyPermanentResidence(a *applier, raw json.RawMessage) error {
	var d struct {
		residenceData
		// HouseholdID names a household to join; empty founds a new household
		// headed by the subject at the given address.
		HouseholdID  string `json:"household_id"`
		Relationship string `json:"relationship"`
		// LeftHousehold says who heads the household the subject leaves.
		LeftHousehold headChange `json:"left_household"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	if d.HouseholdID != "" && d.HouseholdID == p.HouseholdID {
		return conflict("data.household_id", "already a member of that household")
	}
	if err := a.leaveHousehold(p, d.LeftHousehold); err != nil {
		return err
	}
	if d.HouseholdID != "" {
		if d.Province != "" || d.Commune != "" || d.Address != "" {
			return invalid("data.household_id", "give either a household to join or an address, not both")
		}
		if err := checkRelationship("data.relationship", d.Relationship); err != nil {
			return err
		}
		h, err := a.household("data.household_id", d.HouseholdID)
		if err != nil {
			return err
		}
		if h.Head == "" {
			return conflict("data.household_id", "the household is dissolved")
		}
		a.joinHousehold(p, h, d.Relationship)
		return nil
	}
	res, err := d.check("data", a.ev.EffectiveDate, a.today)
	if err != nil {
		return err
	}
	h := &Household{ID: NewHouseholdID(), Head: p.PIN, Address: res}
	a.createHousehold(h)
	a.joinHousehold(p, h, RelHead)
	return nil
}

func applyTemporaryResidence(a *applier, raw json.RawMessage) error {
	var d struct {
		residenceData
		ValidTo Date `json:"valid_to"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	res, err := d.check("data", a.ev.EffectiveDate, a.today)
	if err != nil {
		return err
	}
	if !d.ValidTo.IsZero() && !a.ev.EffectiveDate.Before(d.ValidTo) {
		return invalid("data.valid_to", "must be after the effective date")
	}
	res.ValidTo = d.ValidTo
	cur := res
	p.TemporaryResidence, p.CurrentResidence = &res, &cur
	a.touch(p)
	return nil
}

func applyTemporaryAbsence(a *applier, raw json.RawMessage) error {
	var d struct {
		To          Date   `json:"to"`
		Destination string `json:"destination"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	if p.PermanentResidence == nil {
		return conflict("subject", "has no permanent residence to be absent from")
	}
	if !d.To.IsZero() && !a.ev.EffectiveDate.Before(d.To) {
		return invalid("data.to", "must be after the effective date")
	}
	p.TemporaryAbsence = &Absence{From: a.ev.EffectiveDate, To: d.To, Destination: vntext.Normalize(d.Destination)}
	a.touch(p)
	return nil
}

func applyNameChange(a *applier, raw json.RawMessage) error {
	var d struct {
		FullName string `json:"full_name"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	name, err := checkName("data.full_name", d.FullName)
	if err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	if name == p.FullName {
		return conflict("data.full_name", "the same as the current name")
	}
	p.FullName = name
	a.touch(p)
	// Relatives' records carry the name next to the PIN: keep them in step.
	rename := func(r *Relative) bool {
		if r != nil && r.PIN == p.PIN {
			r.FullName = name
			return true
		}
		return false
	}
	var related []string
	for _, r := range []*Relative{p.Father, p.Mother, p.Spouse} {
		if r != nil && r.PIN != "" {
			related = append(related, r.PIN)
		}
	}
	for _, c := range p.Children {
		if c.PIN != "" {
			related = append(related, c.PIN)
		}
	}
	for _, rp := range related {
		q, err := a.person("subject", rp)
		if err != nil {
			return err
		}
		changed := rename(q.Father) || rename(q.Mother) || rename(q.Spouse)
		for i := range q.Children {
			changed = rename(&q.Children[i]) || changed
		}
		if changed {
			a.touch(q)
		}
	}
	return nil
}

func applyHouseholdSplit(a *applier, raw json.RawMessage) error {
	var d struct {
		// Members leave the subject's household for a new one at the same
		// address, headed by HeadPIN (one of them).
		Members       []string          `json:"members"`
		HeadPIN       string            `json:"head_pin"`
		Relationships map[string]string `json:"relationships"`
		LeftHousehold headChange        `json:"left_household"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if p.HouseholdID == "" {
		return conflict("subject", "not a member of any household")
	}
	old, err := a.household("subject", p.HouseholdID)
	if err != nil {
		return err
	}
	if len(d.Members) == 0 {
		return invalid("data.members", "required")
	}
	if !slices.Contains(d.Members, d.HeadPIN) {
		return invalid("data.head_pin", "must be one of the members")
	}
	if len(d.Members) >= len(old.Members) {
		return conflict("data.members", "a split must leave someone in the household")
	}
	nh := &Household{ID: NewHouseholdID(), Address: old.Address, Head: d.HeadPIN}
	nh.Address.ValidFrom = a.ev.EffectiveDate
	a.createHousehold(nh)
	for i, m := range d.Members {
		if slices.Index(d.Members, m) != i {
			return invalid("data.members", "lists a person twice")
		}
		if old.Member(m) < 0 {
			return conflict("data.members", "names someone who is not in the household")
		}
		mp, err := a.person("data.members", m)
		if err != nil {
			return err
		}
		if err := mustBeAlive("data.members", mp); err != nil {
			return err
		}
		rel := RelHead
		if m != d.HeadPIN {
			rel = d.Relationships[m]
			if err := checkRelationship("data.relationships", rel); err != nil {
				return err
			}
		}
		hc := headChange{}
		if m == old.Head {
			hc = d.LeftHousehold
		}
		if err := a.leaveHousehold(mp, hc); err != nil {
			return err
		}
		a.joinHousehold(mp, nh, rel)
	}
	return nil
}

func applyHeadChange(a *applier, raw json.RawMessage) error {
	var d headChange
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if p.HouseholdID == "" {
		return conflict("subject", "not a member of any household")
	}
	h, err := a.household("subject", p.HouseholdID)
	if err != nil {
		return err
	}
	if d.NewHeadPIN == "" {
		return invalid("data.new_head_pin", "required")
	}
	if d.NewHeadPIN == h.Head {
		return conflict("data.new_head_pin", "already the head")
	}
	return a.setHead(h, d)
}

// Card renewal ages under the Law on Identification 2023, art. 21: a card is
// renewed at 14, 25, 40 and 60, and one issued within two years before such an
// age stays valid until the next one.
var renewalAges = []int{14, 25, 40, 60}

// CardExpiry returns the expiry date of a card issued on issued to a person
// born on birth: the birthday of the next renewal age, skipping one that comes
// within two years. The zero Date means the card does not expire.
func CardExpiry(birth, issued Date) Date {
	from := issued.Earliest()
	for i, age := range renewalAges {
		birthday := birth.Latest().AddDate(age, 0, 0)
		if !birthday.After(from) {
			continue
		}
		if !birthday.After(from.AddDate(2, 0, 0)) {
			if i+1 == len(renewalAges) {
				return Date{}
			}
			birthday = birth.Latest().AddDate(renewalAges[i+1], 0, 0)
		}
		return DateOf(birthday)
	}
	return Date{}
}

func applyCardIssued(a *applier, raw json.RawMessage) error {
	var d struct {
		Kind  DocumentKind `json:"kind"`
		Place string       `json:"issue_place"`
		Chip  *bool        `json:"chip"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	p := a.subject()
	if err := mustBeAlive("subject", p); err != nil {
		return err
	}
	if d.Kind == "" {
		d.Kind = CanCuoc
	}
	if d.Kind != CanCuoc && d.Kind != CCCD {
		return invalid("data.kind", "must be can_cuoc or cccd")
	}
	if d.Place == "" {
		d.Place = "Bộ Công an"
	}
	chip := d.Chip == nil || *d.Chip
	// A new card cancels every earlier one, the old CMND included (it is
	// handed in and cut when the chip card is issued).
	for i := range p.Documents {
		if p.Documents[i].Status == "valid" {
			p.Documents[i].Status = "replaced"
		}
	}
	p.Documents = append(p.Documents, Document{
		Kind: d.Kind, Number: p.PIN, IssueDate: a.ev.EffectiveDate, Place: vntext.Normalize(d.Place),
		Expiry: CardExpiry(p.BirthDate, a.ev.EffectiveDate), Chip: chip, Status: "valid",
	})
	a.touch(p)
	return nil
}

// correctable are the fields a correction event may set, with their checks.
var correctable = map[string]func(p *Person, v json.RawMessage) error{
	"birth_date": func(p *Person, v json.RawMessage) error {
		var d Date
		if err := json.Unmarshal(v, &d); err != nil || d.IsZero() {
			return invalid("data.value", "must be a date YYYY-MM-DD, YYYY-MM or YYYY")
		}
		if n, err := pin.Parse(p.PIN); err == nil && n.BirthYear() != d.Year {
			return conflict("data.value", "the birth year disagrees with the PIN: a new number is needed")
		}
		p.BirthDate = d
		return nil
	},
	"place_of_birth": func(p *Person, v json.RawMessage) error { return decodeField(v, &p.PlaceOfBirth) },
	"hometown":       func(p *Person, v json.RawMessage) error { return decodeField(v, &p.Hometown) },
	"ethnicity": func(p *Person, v json.RawMessage) error {
		var s string
		if err := decodeField(v, &s); err != nil || !KnownEthnicity(s) {
			return invalid("data.value", "unknown ethnic group code")
		}
		p.Ethnicity = s
		return nil
	},
	"religion":    func(p *Person, v json.RawMessage) error { return decodeField(v, &p.Religion) },
	"nationality": func(p *Person, v json.RawMessage) error { return decodeField(v, &p.Nationality) },
	"blood_type": func(p *Person, v json.RawMessage) error {
		return decodeOneOf(v, &p.BloodType, "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "")
	},
	"old_id_number": func(p *Person, v json.RawMessage) error { return decodeDigits(v, &p.OldIDNumber, 9) },
	"other_name":    func(p *Person, v json.RawMessage) error { return decodeField(v, &p.OtherName) },
	"phone":         func(p *Person, v json.RawMessage) error { return decodeDigits(v, &p.Phone, 10) },
	"email": func(p *Person, v json.RawMessage) error {
		var s string
		if err := decodeField(v, &s); err != nil || (s != "" && (!strings.Contains(s, "@") || len(s) > 254)) {
			return invalid("data.value", "not an email address")
		}
		p.Email = s
		return nil
	},
}

func decodeField(v json.RawMessage, dst any) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return invalid("data.value", "wrong type for this field")
	}
	return nil
}

func decodeOneOf(v json.RawMessage, dst *string, allowed ...string) error {
	var s string
	if err := decodeField(v, &s); err != nil || !slices.Contains(allowed, s) {
		return invalid("data.value", "must be one of %s", strings.Join(allowed[:len(allowed)-1], ", "))
	}
	*dst = s
	return nil
}

func decodeDigits(v json.RawMessage, dst *string, n int) error {
	var s string
	if err := decodeField(v, &s); err != nil {
		return err
	}
	if s != "" && (len(s) != n || strings.Trim(s, "0123456789") != "") {
		return invalid("data.value", "must be %d digits", n)
	}
	*dst = s
	return nil
}

func applyCorrection(a *applier, raw json.RawMessage) error {
	var d struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	set, ok := correctable[d.Field]
	if !ok {
		fields := make([]string, 0, len(correctable))
		for f := range correctable {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		return invalid("data.field", "not correctable here; one of %s (names change by name_change, sex by a new PIN)", strings.Join(fields, ", "))
	}
	if len(d.Value) == 0 {
		return invalid("data.value", "required")
	}
	p := a.subject()
	before, _ := json.Marshal(p)
	if err := set(p, d.Value); err != nil {
		return err
	}
	if after, _ := json.Marshal(p); string(after) == string(before) {
		return conflict("data.value", "the same as the recorded value")
	}
	a.touch(p)
	return nil
}
