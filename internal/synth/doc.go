// Package synth generates a deterministic, realistic synthetic population of
// Viet Nam and writes it through the store's bulk loader. It backs
// `dancu generate` and `dancu serve --demo`.
//
// # What the population looks like
//
// People live in households of about 3.5: couples with their children, often
// a grandparent or a married son's family, widows, single parents, people
// living alone, grandparents bringing up grandchildren. Every relation is on
// both records (father, mother, spouse, children) and every household lists
// exactly the members whose records name it, with their relationship to the
// head. Provinces are weighted by population, communes within a province
// uniformly with wards (phường) counting double, and every permanent
// residence is a real 2025 commune with an address in the regional style.
// Ages follow Viet Nam's 2024 pyramid, the sex ratio at birth is about 111
// for recent cohorts, and widows outnumber widowers among the old. Ethnic
// groups follow the shares of ethnic-groups.csv but live where they live:
// the matrix of groups by province is balanced from seeds in tables.go.
// Names follow each people's customs, so the data holds compound surnames,
// names with apostrophes (H'Hen Niê, K'Brel) and surname-last names.
//
// PINs agree with the date of birth, the sex and the province where the
// birth was registered: an old (pre-2025) province before 2025-07-01, one
// that usually merged into where the person lives, and for about one adult
// in five elsewhere (migrants, most of them into Hà Nội, Thành phố Hồ Chí
// Minh and Đồng Nai). Most people born before 1995 have an old 9-digit CMND;
// about 89% of the living aged 14 and over hold a chip card. The sources and
// approximations of every table are documented where it is defined; none is
// an official statistic.
//
// # History
//
// The national population database went live on 2021-07-01, filled from the
// household registers, and that is where the history starts: everyone alive
// then gets version 1 from one "initial_registration" event per household,
// with their record as of that day; people born later get version 1 from a
// "birth_registration" event. Then, in date order, "id_card_issued" and
// "death" events write later versions, and a birth or a death writes a new
// version of the household, and of the parents or the widowed spouse, as the
// registry's event path does. Rows are derived by registry.PersonRow and
// registry.HouseholdRow, so the bulk load holds exactly what events would
// have written. Residences are given on the 2025 units in every version, as
// the registry converted them; only the place of birth registration keeps
// the old province code that the PIN encodes.
//
// # Reproducibility and speed
//
// The population depends only on the seed, the number of citizens and the
// date taken as today (Options.Now, default DefaultNow). It is built in
// chunks of ChunkSize people, each from its own random stream, on several
// goroutines; PINs are then made unique in one sequential pass in chunk
// order, so the output is byte-identical whatever the number of workers.
// Generation and encoding run ahead of the loader, which writes one chunk
// per transaction.
package synth
