// Package units owns Vietnam's administrative units — provinces and communes —
// together with the dates between which each code meant that unit.
//
// Codes are stored with their validity because the 2025 reform reused old codes
// with new meanings: from 1 July 2025 (Reform2025) the country has 34 provinces
// and 3,321 communes and no district level, and a code such as "79" means the
// merged Hồ Chí Minh City (which absorbed Bình Dương and Bà Rịa–Vũng Tàu), not
// the city of 30 June 2025. Every lookup therefore takes the date at which the
// code is to be read, usually the date of the record that holds it.
//
// What the package knows:
//
//   - The 34 provinces and 3,321 communes of 2025, valid from 2025-07-01 with no
//     end (data/provinces-2025.csv, data/communes-2025.csv).
//   - The 63 provinces in force before the reform, valid until 2025-06-30, with
//     their two-digit codes (the PIN prefix without its leading zero) and the 2025
//     province each was merged into (data/pin-province-codes.csv). Their start is
//     not recorded (zero ValidFrom), so they answer for any earlier date, and
//     their names and types are those of 30 June 2025: earlier changes such as
//     Hà Tây's merger into Hà Nội in 2008 or Thừa Thiên Huế becoming Thành phố
//     Huế on 1 January 2025 are not modelled.
//
// What it does not know: the communes (and districts) before the reform. We have
// no list of them, so LookupCommune, Communes and AllCommunes find nothing before
// 2025-07-01, and a pre-reform commune code cannot be checked here.
//
// Dates are compared as calendar days in the location of the time passed in, so
// midnight in Asia/Ho_Chi_Minh on 1 July 2025 and midnight UTC on the same day
// both see the 2025 units.
//
// The data files are copies of the shared reference files, embedded in the
// binary and parsed once on first use; a broken file panics with a message that
// names it, since it is a build defect rather than a runtime condition.
package units
