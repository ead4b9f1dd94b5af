package pin

// Error reports why a PIN is malformed, why arguments cannot form a PIN, or which
// part of a PIN disagrees with a person's recorded data. It never contains the
// PIN's digits, so it can be logged and shown to clients as is.
type Error struct {
	// Field is "pin" when the number itself is malformed; otherwise it names the
	// argument or recorded attribute at fault: "province", "birth_year", "sex" or
	// "serial".
	Field string
	// Reason says in plain English what is wrong, without quoting the value.
	Reason string
}

// Error formats the error as "pin: <reason>" for format problems and as
// "pin: <field>: <reason>" otherwise.
func (e *Error) Error() string {
	if e.Field == "pin" || e.Field == "" {
		return "pin: " + e.Reason
	}
	return "pin: " + e.Field + ": " + e.Reason
}

// Field names used in Error.Field. They match the API's snake_case field names so
// a handler can point a client at the offending field.
const (
	fieldPIN       = "pin"
	fieldProvince  = "province"
	fieldBirthYear = "birth_year"
	fieldSex       = "sex"
	fieldSerial    = "serial"
)

func errorf(field, reason string) error {
	return &Error{Field: field, Reason: reason}
}
