package dataset

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Field is one attribute of a record schema.
type Field struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	// Doc says what the value is and its form, for people and the API
	// description.
	Doc string `json:"doc"`
	// check returns why a value is refused, or "" when it is good. Reasons
	// name the rule, never the value, since values are personal data.
	check func(string) string
}

// Kind is a kind of linked dataset: its record schema.
type Kind struct {
	Name   string  `json:"name"`
	Title  string  `json:"title"`
	Fields []Field `json:"fields"`
	// cross checks rules between fields once each is valid on its own;
	// values are in Fields order, "" when absent.
	cross func(values []string) (field, reason string)
}

// maxValueBytes bounds any attribute value: none of the schemas' values
// comes near it, and it keeps one line from holding megabytes.
const maxValueBytes = 200

func pattern(re, reason string) func(string) string {
	r := regexp.MustCompile(re)
	return func(s string) string {
		if !r.MatchString(s) {
			return reason
		}
		return ""
	}
}

func oneOf(vals ...string) func(string) string {
	reason := "must be one of " + strings.Join(vals, ", ")
	return func(s string) string {
		if !slices.Contains(vals, s) {
			return reason
		}
		return ""
	}
}

func isoDate(s string) string {
	if len(s) != 10 {
		return "must be a date YYYY-MM-DD"
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "must be a date YYYY-MM-DD"
	}
	return ""
}

// The kinds of dataset, by name. Codes follow the agencies' own forms: the
// 10-digit social insurance code (mã số BHXH), which since 2021 is also the
// health insurance card number; the older 15-character card number; the
// 5-digit code of the registered first-contact facility (nơi đăng ký KCB
// ban đầu: province and facility); plates such as 51F-123.45 or 59X1-123.45.
var kinds = []*Kind{
	{
		Name: "social-insurance", Title: "Social insurance participation",
		Fields: []Field{
			{Name: "insurance_code", Required: true, Doc: "Social insurance code, 10 digits.", check: pattern(`^[0-9]{10}$`, "must be 10 digits")},
			{Name: "status", Required: true, Doc: "Participation status.", check: oneOf("active", "suspended", "closed")},
		},
	},
	{
		Name: "vehicle-registration", Title: "Vehicle registrations",
		Fields: []Field{
			{Name: "plate", Required: true, Doc: "Number plate, such as 51F-123.45.", check: pattern(`^[0-9]{2}[A-Z]{1,2}[0-9]{0,2}-[0-9]{3}(\.?[0-9]{2})?$`, "must be a number plate such as 51F-123.45")},
			{Name: "type", Required: true, Doc: "Vehicle type.", check: oneOf("car", "motorcycle", "truck", "bus", "trailer", "special")},
		},
	},
	{
		Name: "passport", Title: "Passports",
		Fields: []Field{
			{Name: "number", Required: true, Doc: "Passport number: a letter and 7 or 8 digits.", check: pattern(`^[A-Z][0-9]{7,8}$`, "must be a letter and 7 or 8 digits")},
			{Name: "expiry", Required: true, Doc: "Expiry date, YYYY-MM-DD.", check: isoDate},
		},
	},
	{
		Name: "health-insurance", Title: "Health insurance cards",
		Fields: []Field{
			{Name: "card_number", Required: true, Doc: "Card number: the 10-digit social insurance code, or the older 2 letters and 13 digits.", check: pattern(`^([0-9]{10}|[A-Z]{2}[0-9]{13})$`, "must be 10 digits, or 2 capital letters and 13 digits")},
			{Name: "valid_from", Required: true, Doc: "First day of validity, YYYY-MM-DD.", check: isoDate},
			{Name: "valid_to", Required: true, Doc: "Last day of validity, YYYY-MM-DD.", check: isoDate},
			{Name: "facility", Required: true, Doc: "Code of the registered first-contact facility, 5 digits.", check: pattern(`^[0-9]{5}$`, "must be 5 digits")},
		},
		cross: func(v []string) (string, string) {
			if v[1] > v[2] { // ISO dates compare as text
				return "valid_to", "must not be before valid_from"
			}
			return "", ""
		},
	},
	{
		Name: "vaccination", Title: "Vaccinations (the electronic health book)",
		Fields: []Field{
			{Name: "vaccine", Required: true, Doc: "Vaccine or antigen code of the national immunisation programme, such as bcg, hepb, dtp-hib-hepb, opv, ipv, mmr, measles, je, covid-19: lower-case letters, digits and '-'.", check: pattern(`^[a-z0-9][a-z0-9-]{0,39}$`, "must be a vaccine code: lower-case letters, digits and '-'")},
			{Name: "dose", Required: true, Doc: "Dose number, 1 to 9.", check: pattern(`^[1-9]$`, "must be a dose number from 1 to 9")},
			{Name: "date", Required: true, Doc: "Date given, YYYY-MM-DD.", check: isoDate},
			{Name: "facility", Required: true, Doc: "Code of the facility that gave it, 5 digits.", check: pattern(`^[0-9]{5}$`, "must be 5 digits")},
			{Name: "lot", Doc: "The vaccine lot number.", check: pattern(`^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$`, "must be a lot number: letters, digits, '.', '/' or '-'")},
		},
	},
	{
		Name: "health-visit", Title: "Visit summaries (the electronic health book)",
		Fields: []Field{
			{Name: "date", Required: true, Doc: "Date of the visit, YYYY-MM-DD.", check: isoDate},
			{Name: "facility", Required: true, Doc: "Code of the facility, 5 digits.", check: pattern(`^[0-9]{5}$`, "must be 5 digits")},
			{Name: "type", Required: true, Doc: "Kind of visit.", check: oneOf("outpatient", "inpatient", "emergency", "checkup")},
			{Name: "diagnosis", Doc: "Main diagnosis, an ICD-10 code such as J06.9.", check: pattern(`^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$`, "must be an ICD-10 code such as J06.9")},
			{Name: "summary", Doc: "A short summary for the patient, at most 200 bytes.", check: func(string) string { return "" }},
		},
	},
	{
		Name: "telecom-subscription", Title: "Telecom subscriptions",
		Fields: []Field{
			{Name: "phone_number", Required: true, Doc: "Subscriber number in national form: 0 and 9 digits.", check: pattern(`^0[0-9]{9}$`, "must be 0 followed by 9 digits")},
			{Name: "carrier", Required: true, Doc: "Carrier.", check: oneOf("viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "itelecom", "other")},
			{Name: "status", Required: true, Doc: "Subscription status.", check: oneOf("active", "suspended", "cancelled")},
		},
	},
}

// KindNames lists the kinds of dataset.
func KindNames() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return names
}

// LookupKind returns the kind with a name, or nil.
func LookupKind(name string) *Kind {
	for _, k := range kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}
