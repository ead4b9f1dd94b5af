// Package card issues the chip ID cards: it turns each "id_card_issued"
// life event into a card record (number, issue date, expiry at the renewal
// ages 14, 25, 40 and 60, issuing authority, status) and, for a chip card,
// the chip's data groups and EF.SOD (package lds) signed by the current
// document signer. It keeps the country's signing PKI — the Country Signing
// CA (CSCA) and its document signers (DS), created at set-up and rotated on
// a schedule, their private keys in a KeyStore (files by default, an HSM
// behind the same interface) — publishes the CSCA certificates and the
// revocation list of document signers, lets the issuing authority mark a
// card lost, revoked or replaced, answers agencies' card-status lookups
// under their grants (each recorded in the access log), and verifies cards
// online with package verify.
//
// The QR payload printed on the card is package qr; passive authentication
// for relying parties, importable without the rest of dancu, is package
// verify.
package card
