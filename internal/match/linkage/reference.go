package linkage

import (
	_ "embed"
	"encoding/json"
)

// referenceModelJSON is a model estimated by a batch on the test bed
// (`dancu dedup --evaluate --model-out`), for checking single records
// before the registry's own first batch has estimated one.
//
//go:embed reference_model.json
var referenceModelJSON []byte

// ReferenceModel returns the model estimated on the test bed.
func ReferenceModel() Model {
	var m Model
	if err := json.Unmarshal(referenceModelJSON, &m); err != nil || m.Validate() != nil {
		return DefaultModel()
	}
	return m
}
