// Package services runs the online public services: a catalogue of
// procedures described as data (fees, deadlines and attachments that an
// administrator changes without a release), citizens' dossiers prefilled
// from the registry with the registry's fields locked, the officers' queues
// of the competent commune or province with legal deadlines counted in
// working days, and decisions. Approving a dossier applies the procedure's
// life event to the registry in the same transaction as the dossier's
// change (registry.Submission.Within), so the event reaches the agencies'
// feeds exactly when the dossier is approved.
//
// The package also serves the catalogue at /v1/procedures, the citizens'
// pages under /portal/services/ and the officers' pages under
// /console/services/.
package services
