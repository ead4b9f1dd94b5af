// Package review serves the console pages of the duplicate review queue
// under /console/duplicates/: the list of open candidate pairs (best
// first), the side-by-side comparison of a pair with the evidence of each
// field, and the registrar's decision — merge (the life event
// records_merged, which keeps both records' history and links the two
// PINs) or dismiss.
//
// The pages are a web.Section: the console checks the officer's session,
// the staff.ReviewDuplicates action and the CSRF token of every form. A
// registrar sees and decides only pairs in which one of the two people
// lives in their units; a merge is also a life event, authorized by the
// registry inside its transaction like any other. Every page that shows a
// person's data records the access in the access log before answering, and
// a merge records a write for both people.
package review
