package lds

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Data-group file tags (Doc 9303 part 10, 4.7) and the tags inside them.
const (
	TagDG1  = 0x61
	TagDG2  = 0x75
	TagDG13 = 0x6D
	TagSOD  = 0x77

	tagMRZ          = 0x5F1F
	tagBioGroup     = 0x7F61
	tagBioTemplate  = 0x7F60
	tagBioHeader    = 0xA1
	tagBioData      = 0x5F2E
	tagBioCount     = 0x02
	tagSequence     = 0x30
	tagInteger      = 0x02
	tagUTF8String   = 0x0C
	maxDG13Field    = 99
	maxPortraitRef  = 512
	dg2PortraitMark = "dancu-portrait-ref:"
)

// EncodeDG1 returns the DG1 file of a TD1 zone.
func EncodeDG1(m *TD1) ([]byte, error) {
	l, err := m.Lines()
	if err != nil {
		return nil, err
	}
	return AppendTLV(nil, TagDG1, AppendTLV(nil, tagMRZ, []byte(l[0]+l[1]+l[2]))), nil
}

// ParseDG1 reads a DG1 file and its TD1 zone, checking every check digit.
func ParseDG1(b []byte) (*TD1, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	if t.Tag != TagDG1 {
		return nil, malformed("DG1: tag %X, want 61", t.Tag)
	}
	mrz, ok := t.Find(tagMRZ)
	if !ok || len(t.Children) != 1 {
		return nil, malformed("DG1: no MRZ (tag 5F1F)")
	}
	if len(mrz.Value) != TD1Lines*TD1LineLen {
		return nil, malformed("DG1: the MRZ is %d characters, a TD1 zone is 90", len(mrz.Value))
	}
	return ParseTD1(string(mrz.Value))
}

// EncodeDG2 returns a DG2 file that holds, in place of a facial image, a
// reference to the portrait the registry keeps (Doc 9303 part 10, 4.7.2
// layout: one biometric information template whose data block is the
// reference). A card produced by an enrolment station replaces it with the
// ISO/IEC 19794-5 image; the hash in EF.SOD binds whichever is on the chip.
func EncodeDG2(portraitRef string) ([]byte, error) {
	if len(portraitRef) > maxPortraitRef || !utf8.ValidString(portraitRef) {
		return nil, malformed("DG2: portrait reference too long or not UTF-8")
	}
	header := AppendTLV(nil, 0x80, []byte{0x01, 0x01})   // header version 1.1
	header = AppendTLV(header, 0x81, []byte{0x02})       // biometric type: facial features
	header = AppendTLV(header, 0x87, []byte{0x01, 0x01}) // format owner
	header = AppendTLV(header, 0x88, []byte{0x00, 0x08}) // format type
	tmpl := AppendTLV(nil, tagBioHeader, header)
	tmpl = AppendTLV(tmpl, tagBioData, []byte(dg2PortraitMark+portraitRef))
	group := AppendTLV(nil, tagBioCount, []byte{0x01})
	group = AppendTLV(group, tagBioTemplate, tmpl)
	return AppendTLV(nil, TagDG2, AppendTLV(nil, tagBioGroup, group)), nil
}

// ParseDG2 returns the portrait reference of a DG2 file made by EncodeDG2.
func ParseDG2(b []byte) (string, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return "", fmt.Errorf("DG2: %w", err)
	}
	if t.Tag != TagDG2 {
		return "", malformed("DG2: tag %X, want 75", t.Tag)
	}
	d, ok := t.Find(tagBioData)
	if !ok {
		return "", malformed("DG2: no biometric data block (tag 5F2E)")
	}
	ref, ok := strings.CutPrefix(string(d.Value), dg2PortraitMark)
	if !ok || !utf8.ValidString(ref) {
		return "", malformed("DG2: the data block is not a portrait reference")
	}
	return ref, nil
}

// DG13 holds the national fields of the card (the Vietnamese chip card's
// DG13), as printed on it: dates as dd/mm/yyyy (mm/yyyy or yyyy when only
// that is known), sex as "Nam" or "Nữ", names with their diacritics.
type DG13 struct {
	PIN                string
	FullName           string
	BirthDate          string
	Sex                string
	Nationality        string
	Ethnicity          string
	Religion           string
	Hometown           string
	PermanentResidence string
	IdentifyingMarks   string
	IssueDate          string
	ExpiryDate         string // "Không thời hạn" (no expiry) or a date
	Father             string
	Mother             string
	Spouse             string
	OldIDNumber        string
}

// fields maps DG13 field numbers to the struct's fields, in order.
func (d *DG13) fields() []*string {
	return []*string{
		1: &d.PIN, 2: &d.FullName, 3: &d.BirthDate, 4: &d.Sex, 5: &d.Nationality, 6: &d.Ethnicity,
		7: &d.Religion, 8: &d.Hometown, 9: &d.PermanentResidence, 10: &d.IdentifyingMarks,
		11: &d.IssueDate, 12: &d.ExpiryDate, 13: &d.Father, 14: &d.Mother, 15: &d.Spouse, 16: &d.OldIDNumber,
	}
}

// DG13FieldNames names the DG13 field numbers in API form, for the
// verifier's answer and the documentation.
var DG13FieldNames = []string{
	1: "pin", 2: "full_name", 3: "birth_date", 4: "sex", 5: "nationality", 6: "ethnicity",
	7: "religion", 8: "hometown", 9: "permanent_residence", 10: "identifying_marks",
	11: "issue_date", 12: "expiry_date", 13: "father", 14: "mother", 15: "spouse", 16: "old_id_number",
}

// EncodeDG13 returns the DG13 file: tag 6D around a SEQUENCE of
// SEQUENCE { INTEGER field number, UTF8String value }, empty fields left
// out.
func EncodeDG13(d *DG13) ([]byte, error) {
	var seq []byte
	for n, f := range d.fields() {
		if f == nil || *f == "" {
			continue
		}
		if !utf8.ValidString(*f) || len(*f) > 4096 {
			return nil, malformed("DG13: field %d is not UTF-8 or too long", n)
		}
		item := AppendTLV(nil, tagInteger, []byte{byte(n)})
		item = AppendTLV(item, tagUTF8String, []byte(*f))
		seq = AppendTLV(seq, tagSequence, item)
	}
	return AppendTLV(nil, TagDG13, AppendTLV(nil, tagSequence, seq)), nil
}

// ParseDG13 reads a DG13 file. Unknown field numbers are skipped (a later
// card model may add fields); a repeated number, a value that is not UTF-8,
// or any other shape is an error.
func ParseDG13(b []byte) (*DG13, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("DG13: %w", err)
	}
	if t.Tag != TagDG13 || len(t.Children) != 1 || t.Children[0].Tag != tagSequence {
		return nil, malformed("DG13: want tag 6D around one SEQUENCE")
	}
	d := &DG13{}
	fs := d.fields()
	seen := map[int]bool{}
	for i, item := range t.Children[0].Children {
		if item.Tag != tagSequence || len(item.Children) != 2 ||
			item.Children[0].Tag != tagInteger || item.Children[1].Tag != tagUTF8String {
			return nil, malformed("DG13: item %d is not SEQUENCE { INTEGER, UTF8String }", i+1)
		}
		nb := item.Children[0].Value
		if len(nb) == 0 || len(nb) > 2 || nb[0]&0x80 != 0 || (len(nb) == 2 && nb[0] == 0 && nb[1]&0x80 == 0) {
			return nil, malformed("DG13: item %d has a bad field number", i+1)
		}
		n := int(nb[0])
		if len(nb) == 2 {
			n = int(binary.BigEndian.Uint16(nb))
		}
		if n == 0 || n > maxDG13Field || seen[n] {
			return nil, malformed("DG13: item %d: field number out of range or repeated", i+1)
		}
		seen[n] = true
		v := item.Children[1].Value
		if !utf8.Valid(v) {
			return nil, malformed("DG13: field %d is not UTF-8", n)
		}
		if n < len(fs) && fs[n] != nil {
			*fs[n] = string(v)
		}
	}
	if d.PIN == "" {
		return nil, malformed("DG13: no PIN (field 1)")
	}
	return d, nil
}
