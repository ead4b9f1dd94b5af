package registry

// Sex is a person's sex as recorded in the registry.
type Sex string

// The recorded sexes. A legal change of sex gives a person a new PIN.
const (
	Male   Sex = "male"
	Female Sex = "female"
)

// LifeState says whether a person is alive, dead or declared missing.
type LifeState string

// The life states.
const (
	Alive   LifeState = "alive"
	Dead    LifeState = "dead"
	Missing LifeState = "missing"
)

// MaritalStatus is a person's marital status.
type MaritalStatus string

// The marital statuses.
const (
	Single   MaritalStatus = "single"
	Married  MaritalStatus = "married"
	Divorced MaritalStatus = "divorced"
	Widowed  MaritalStatus = "widowed"
)

// Person is one person's record: every field of the Law on Identification 2023,
// art. 9. Names are stored as given (NFC-normalised), and matched on keys.
type Person struct {
	PIN       string `json:"pin"`
	FullName  string `json:"full_name"`            // the birth name
	OtherName string `json:"other_name,omitempty"` // an alias or former name
	BirthDate Date   `json:"birth_date"`
	Sex       Sex    `json:"sex"`

	PlaceOfBirth           Place      `json:"place_of_birth"`
	BirthRegistrationPlace Place      `json:"birth_registration_place"`
	Hometown               Place      `json:"hometown"`
	Ethnicity              string     `json:"ethnicity"`               // code from the list of 54 groups, e.g. "01"
	Religion               string     `json:"religion,omitempty"`      // "" means none recorded
	Nationality            string     `json:"nationality"`             // ISO 3166-1 alpha-2, "VN"
	BloodType              string     `json:"blood_type,omitempty"`    // A, B, AB, O with + or -
	OldIDNumber            string     `json:"old_id_number,omitempty"` // the 9-digit CMND, if any
	Documents              []Document `json:"documents,omitempty"`     // every ID card issued, oldest first

	Father              *Relative  `json:"father,omitempty"`
	Mother              *Relative  `json:"mother,omitempty"`
	Spouse              *Relative  `json:"spouse,omitempty"`
	Children            []Relative `json:"children,omitempty"`
	LegalRepresentative *Relative  `json:"legal_representative,omitempty"`
	Represented         []Relative `json:"represented,omitempty"`

	PermanentResidence  *Residence `json:"permanent_residence,omitempty"`
	TemporaryResidence  *Residence `json:"temporary_residence,omitempty"`
	CurrentResidence    *Residence `json:"current_residence,omitempty"`
	TemporaryAbsence    *Absence   `json:"temporary_absence,omitempty"`
	ResidenceFileNumber string     `json:"residence_file_number,omitempty"`

	MaritalStatus      MaritalStatus `json:"marital_status"`
	HouseholdID        string        `json:"household_id,omitempty"`
	RelationshipToHead string        `json:"relationship_to_head,omitempty"`

	Status Status `json:"status"`

	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`

	// LinkedPINs are other numbers of the same person: the old number after a
	// legal change of sex, or the other record of a merged duplicate.
	LinkedPINs []string `json:"linked_pins,omitempty"`
	// MergedInto is set on a duplicate record merged into another (event
	// records_merged): the PIN of the record that carries on. A merged
	// record keeps its history and is never changed again.
	MergedInto string `json:"merged_into,omitempty"`
}

// Place is an administrative place: the commune and province codes valid at the
// time it was recorded, plus free text for what codes cannot say (a hospital, a
// place abroad, or a pre-2025 unit with no code on record).
type Place struct {
	Province string `json:"province,omitempty"`
	Commune  string `json:"commune,omitempty"`
	Country  string `json:"country,omitempty"` // ISO alpha-2; empty means Viet Nam
	Text     string `json:"text,omitempty"`
}

// Relative names a related person by PIN, with the name and nationality the law
// requires to be kept alongside (a foreign parent may have no PIN).
type Relative struct {
	PIN         string `json:"pin,omitempty"`
	FullName    string `json:"full_name"`
	Nationality string `json:"nationality,omitempty"`
}

// ResidenceKind distinguishes permanent, temporary and current residence.
type ResidenceKind string

// The residence kinds of the Law on Residence 2020.
const (
	Permanent ResidenceKind = "permanent"
	Temporary ResidenceKind = "temporary"
	Current   ResidenceKind = "current"
)

// Residence is an address on the 2025 administrative units, valid from a date.
// ValidTo is set only on residences that ended (kept in history versions).
type Residence struct {
	Province  string `json:"province"`
	Commune   string `json:"commune"`
	Address   string `json:"address"` // house number, street, hamlet
	ValidFrom Date   `json:"valid_from"`
	ValidTo   Date   `json:"valid_to,omitzero"`
}

// Absence is a declared temporary absence from the place of permanent residence.
type Absence struct {
	From        Date   `json:"from"`
	To          Date   `json:"to,omitzero"`
	Destination string `json:"destination,omitempty"`
}

// DocumentKind is the kind of identity document.
type DocumentKind string

// The identity documents issued over time: the 9-digit CMND, the 12-digit CCCD
// (2016–2024, chip from 2021) and the căn cước card of the 2023 law.
const (
	CMND    DocumentKind = "cmnd"
	CCCD    DocumentKind = "cccd"
	CanCuoc DocumentKind = "can_cuoc"
)

// Document is one identity card issued to a person.
type Document struct {
	Kind      DocumentKind `json:"kind"`
	Number    string       `json:"number"`
	IssueDate Date         `json:"issue_date"`
	Place     string       `json:"issue_place"`
	Expiry    Date         `json:"expiry,omitzero"` // zero: no expiry (issued at 60 or over)
	Chip      bool         `json:"chip"`
	Status    string       `json:"status"` // valid, replaced, lost, revoked
}

// Status is a person's life status with the date it took effect.
type Status struct {
	State LifeState `json:"state"`
	Date  Date      `json:"date,omitzero"` // date of death or of being declared missing
}

// Household is a household (hộ gia đình) registered at one permanent address,
// with a head and each member's relationship to the head.
type Household struct {
	ID                  string            `json:"id"`
	Head                string            `json:"head_pin"`
	Members             []HouseholdMember `json:"members"`
	Address             Residence         `json:"address"`
	ResidenceFileNumber string            `json:"residence_file_number,omitempty"`
	Dissolved           Date              `json:"dissolved,omitzero"`
}

// HouseholdMember is a person in a household and their relationship to the head
// ("chủ hộ" for the head itself, recorded in English codes: head, spouse, child,
// parent, grandchild, sibling, other).
type HouseholdMember struct {
	PIN          string `json:"pin"`
	Relationship string `json:"relationship"`
}

// The relationships to the head of household.
const (
	RelHead       = "head"
	RelSpouse     = "spouse"
	RelChild      = "child"
	RelParent     = "parent"
	RelGrandchild = "grandchild"
	RelSibling    = "sibling"
	RelOther      = "other"
)

// Member returns the index of pin among the household's members, or -1.
func (h *Household) Member(pin string) int {
	for i, m := range h.Members {
		if m.PIN == pin {
			return i
		}
	}
	return -1
}
