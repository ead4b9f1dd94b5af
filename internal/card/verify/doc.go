// Package verify runs passive authentication of a chip ID card (ICAO Doc
// 9303 part 11, 5.1) for relying parties, online or offline: it checks each
// data group's hash against EF.SOD, the SOD's signature by its document
// signer (DS), the DS certificate's chain to a trusted Country Signing CA
// (CSCA), the DS certificate's validity and revocation, and the MRZ's check
// digits, and returns the verified attributes or an *Error whose Reason
// says precisely what failed.
//
// It depends only on the standard library and package lds, so that a bank
// can import it without the rest of dancu: give it the CSCA certificates
// and CRLs that dancu publishes (GET /v1/card/csca, /v1/card/crl) and the
// files read from the card. A Verifier is safe for concurrent use; it
// remembers which DS certificates chain to which CSCA, so that each card
// costs one signature check.
package verify
