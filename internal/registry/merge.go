package registry

import (
	"encoding/json"
	"slices"
)

// records_merged resolves a duplicate: the same person registered twice,
// found by duplicate detection and confirmed by a registrar. The subject
// is the record that is retired; data.into names the record that carries
// on. Nothing is deleted: the subject keeps its history and PIN, is marked
// MergedInto the survivor and accepts no further event, and each record
// lists the other among its LinkedPINs, so that a search or a lookup by
// either number leads to the person. The subject's household membership
// and relations are left as they are; correcting them, if needed, is a
// matter for the usual events on the survivor.
func init() {
	eventTypes["records_merged"] = eventType{subject: true, apply: applyMerge}
}

type mergeData struct {
	Into string `json:"into"`
}

func applyMerge(a *applier, raw json.RawMessage) error {
	var d mergeData
	if err := decodeData(raw, &d); err != nil {
		return err
	}
	if d.Into == "" {
		return invalid("data.into", "required: the PIN of the record that carries on")
	}
	if d.Into == a.ev.Subject {
		return invalid("data.into", "the same record as the subject")
	}
	sub := a.subject()
	into, err := a.person("data.into", d.Into)
	if err != nil {
		return err
	}
	if into.MergedInto != "" {
		return conflict("data.into", "the record was itself merged into another")
	}
	sub.MergedInto = into.PIN
	if !slices.Contains(sub.LinkedPINs, into.PIN) {
		sub.LinkedPINs = append(sub.LinkedPINs, into.PIN)
	}
	if !slices.Contains(into.LinkedPINs, sub.PIN) {
		into.LinkedPINs = append(into.LinkedPINs, sub.PIN)
	}
	a.touch(sub)
	a.touch(into)
	return nil
}
