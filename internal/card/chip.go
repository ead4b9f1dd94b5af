package card

import (
	"fmt"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/card/lds"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/vntext"
)

// Chip is the data a chip card carries, as files.
type Chip struct {
	DG1, DG2, DG13 []byte
}

// MRZName transliterates a Vietnamese full name for the MRZ (Doc 9303
// part 3, 4.6): surname as the primary identifier, the middle and given
// names as the secondary, without diacritics (đ becomes D), apostrophes
// dropped, words joined by '<'.
func MRZName(full string) (primary, secondary string) {
	parts := vntext.SplitName(full)
	conv := func(s string) string {
		k := strings.ToUpper(vntext.Key(s))
		var b strings.Builder
		for _, w := range strings.Fields(k) {
			var word strings.Builder
			for i := 0; i < len(w); i++ {
				if c := w[i]; c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
					word.WriteByte(c)
				}
			}
			if word.Len() == 0 {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('<')
			}
			b.WriteString(word.String())
		}
		return b.String()
	}
	given := strings.TrimSpace(parts.Middle + " " + parts.Given)
	if parts.Surname == "" {
		return conv(given), ""
	}
	return conv(parts.Surname), conv(given)
}

// mrzDate is YYMMDD with '<<' for an unknown month or day.
func mrzDate(d registry.Date) string {
	if d.IsZero() {
		return ""
	}
	s := fmt.Sprintf("%02d", d.Year%100)
	for _, v := range []int{d.Month, d.Day} {
		if v == 0 {
			s += "<<"
		} else {
			s += fmt.Sprintf("%02d", v)
		}
	}
	return s
}

// printedDate is a date as the card prints it: dd/mm/yyyy, mm/yyyy or yyyy.
func printedDate(d registry.Date) string {
	switch {
	case d.IsZero():
		return ""
	case d.Day != 0:
		return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
	case d.Month != 0:
		return fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%04d", d.Year)
}

// noExpiry is what the card prints for a card that does not expire.
const noExpiry = "Không thời hạn"

// placeText renders a registry place for the card.
func placeText(pl registry.Place, at time.Time) string {
	var parts []string
	if pl.Text != "" {
		parts = append(parts, pl.Text)
	}
	if c, ok := units.LookupCommune(pl.Commune, at); ok && pl.Commune != "" {
		parts = append(parts, c.Name)
	}
	if pr, ok := units.LookupProvince(pl.Province, at); ok && pl.Province != "" {
		parts = append(parts, pr.Name)
	}
	return strings.Join(parts, ", ")
}

func residenceText(r *registry.Residence, at time.Time) string {
	if r == nil {
		return ""
	}
	s := placeText(registry.Place{Province: r.Province, Commune: r.Commune}, at)
	if r.Address != "" {
		if s == "" {
			return r.Address
		}
		return r.Address + ", " + s
	}
	return s
}

func ethnicName(code string) string {
	for _, g := range registry.EthnicGroups() {
		if g.Code == code {
			return g.Name
		}
	}
	return ""
}

func relName(r *registry.Relative) string {
	if r == nil {
		return ""
	}
	return r.FullName
}

// BuildChip lays out the chip files of a card issued to p (the record as
// the issuing event left it): DG1 with the TD1 zone, DG2 with the portrait
// reference, DG13 with the national fields.
func BuildChip(p *registry.Person, doc registry.Document) (*Chip, error) {
	if len(p.PIN) != 12 {
		return nil, fmt.Errorf("card: the PIN is not 12 digits")
	}
	sex := "<"
	printedSex := ""
	switch p.Sex {
	case registry.Male:
		sex, printedSex = "M", "Nam"
	case registry.Female:
		sex, printedSex = "F", "Nữ"
	}
	primary, secondary := MRZName(p.FullName)
	m := &lds.TD1{
		DocumentCode: "ID", IssuingState: "VNM",
		// The Vietnamese card's MRZ holds the PIN's last 9 digits as the
		// document number and the whole PIN as optional data.
		DocumentNumber: p.PIN[3:], Optional1: p.PIN,
		BirthDate: mrzDate(p.BirthDate), Sex: sex, ExpiryDate: mrzDate(doc.Expiry),
		Nationality: "VNM", Primary: primary, Secondary: secondary,
	}
	if m.BirthDate == "" {
		m.BirthDate = "<<<<<<"
	}
	dg1, err := lds.EncodeDG1(m)
	if err != nil {
		return nil, fmt.Errorf("card: DG1: %w", err)
	}
	dg2, err := lds.EncodeDG2("portrait/" + p.PIN + "/" + doc.IssueDate.String())
	if err != nil {
		return nil, err
	}
	at := doc.IssueDate.Earliest()
	expiry := printedDate(doc.Expiry)
	if expiry == "" {
		expiry = noExpiry
	}
	religion := p.Religion
	if religion == "" {
		religion = "Không"
	}
	nationality := "Việt Nam"
	d := &lds.DG13{
		PIN: p.PIN, FullName: p.FullName, BirthDate: printedDate(p.BirthDate), Sex: printedSex,
		Nationality: nationality, Ethnicity: ethnicName(p.Ethnicity), Religion: religion,
		Hometown: placeText(p.Hometown, at), PermanentResidence: residenceText(p.PermanentResidence, at),
		IssueDate: printedDate(doc.IssueDate), ExpiryDate: expiry,
		Father: relName(p.Father), Mother: relName(p.Mother), Spouse: relName(p.Spouse), OldIDNumber: p.OldIDNumber,
	}
	dg13, err := lds.EncodeDG13(d)
	if err != nil {
		return nil, fmt.Errorf("card: DG13: %w", err)
	}
	return &Chip{DG1: dg1, DG2: dg2, DG13: dg13}, nil
}

// ISODate turns a date printed on the card (dd/mm/yyyy, mm/yyyy, yyyy)
// into ISO 8601 ("" if it is none of these).
func ISODate(printed string) string {
	parts := strings.Split(printed, "/")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	s := strings.Join(parts, "-")
	if _, err := registry.ParseDate(s); err != nil {
		return ""
	}
	return s
}
