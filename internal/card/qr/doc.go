// Package qr produces and parses the QR code printed on the chip ID card
// (model 2021 and the 2024 căn cước card): seven fields separated by '|',
//
//	PIN|old CMND (may be empty)|full name|date of birth ddmmyyyy|Nam or Nữ|permanent address|issue date ddmmyyyy
//
// Parse tolerates the variants readers meet in practice: an empty or
// missing old-CMND field, a 12-digit old number, fields added at the end
// by later card models, a byte-order mark, surrounding white space and line
// ends, decomposed Vietnamese (NFD), "Nu" or any case for the sex, dates
// written dd/mm/yyyy, and partial birth dates (00 for an unknown day or
// month, or the year alone). The QR payload is not signed: it identifies a
// card, it does not prove one (passive authentication of the chip does).
package qr
