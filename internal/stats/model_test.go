package stats

import (
	"encoding/json"
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

// FuzzDecodeFacts checks that the partial decoding of a person's document
// agrees with decoding it whole, whatever the text in its other fields.
func FuzzDecodeFacts(f *testing.F) {
	f.Add("Nguyễn Văn An", `x"status":{"state":"dead"}`, true, "2021-03-04")
	f.Add(`"documents":[`, "", false, "2024")
	f.Fuzz(func(t *testing.T, name, address string, chip bool, issue string) {
		d, err := registry.ParseDate(issue)
		if err != nil {
			d = registry.MustParseDate("2022-01-02")
		}
		p := registry.Person{PIN: "001090000001", FullName: name, Sex: registry.Male,
			Status:             registry.Status{State: registry.Dead, Date: registry.MustParseDate("2025-05-06")},
			PermanentResidence: &registry.Residence{Province: "01", Commune: "00004", Address: address},
			Documents:          []registry.Document{{Kind: registry.CCCD, Number: name, IssueDate: d, Chip: chip, Status: "valid"}}}
		data, err := json.Marshal(&p)
		if err != nil {
			t.Skip()
		}
		var whole, part facts
		if err := json.Unmarshal(data, &whole); err != nil {
			t.Fatal(err)
		}
		if err := decodeFacts(data, &part); err != nil {
			t.Fatalf("decodeFacts: %v", err)
		}
		a, _ := json.Marshal(whole)
		b, _ := json.Marshal(part)
		if string(a) != string(b) {
			t.Errorf("partial decoding %s, whole %s", b, a)
		}
	})
}

func TestPseudonymizer_ID(t *testing.T) {
	a, _ := NewPseudonymizer([]byte("0123456789abcdef"))
	b, _ := NewPseudonymizer([]byte("0123456789abcdeF"))
	if a.ID("001090000001") != a.ID("001090000001") || a.ID("001090000001") == b.ID("001090000001") ||
		a.ID("001090000001") == a.ID("001090000002") {
		t.Error("pseudonyms are not keyed, stable and distinct")
	}
	if _, err := NewPseudonymizer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}
