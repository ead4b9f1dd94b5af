// Package lds encodes and decodes the data a chip ID card carries, as ICAO
// Doc 9303 lays it out: the machine-readable zone of a TD1 card (part 3 and
// 5, with its check digits), the Logical Data Structure's data groups DG1
// (the MRZ), DG2 (here a reference to the portrait held by the registry)
// and DG13 (the national fields), as BER-TLV (part 10), and EF.SOD, the
// Document Security Object: a CMS SignedData (RFC 5652) over the
// LDSSecurityObject that lists each data group's hash (part 10, 4.6.2).
//
// The package holds no keys and no state. Building an EF.SOD takes a
// crypto.Signer and its certificate; parsing never trusts a length it has
// not checked against the bytes at hand, so truncated or malformed input
// gives an error naming what is wrong, never a panic (fuzz targets guard
// the parsers). Package verify builds passive authentication on it.
package lds
