// Package health keeps the electronic health book and checks patients in
// at clinics with the chip ID card.
//
// The book's records are linked datasets (package dataset) that health
// agencies push through the dataset API: "vaccination" (vaccine, dose
// number, date, facility, lot), "health-insurance" (card number, validity,
// registered first-contact facility) and "health-visit" (visit summaries).
// Book gathers a person's records from every dataset of those kinds; the
// citizen sees it in the portal at level 2, an administrator through the
// API (recorded in the access log).
//
// A registered health facility — an agency of kind hospital with an active
// grant for the purpose health.checkin — checks a patient in by sending the
// card's chip data (DG1, DG13, EF.SOD: passive authentication by package
// card) or its QR payload. dancu checks the card's status and the health
// insurance, records the visit, records the access in the access log, and
// answers with what the facility's grant releases. Coverage (people by
// vaccine and number of doses) and Stats (facilities using chip check-in
// out of those registered, people served) feed the statistics.
package health
