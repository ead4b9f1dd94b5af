// Package linkage finds people registered twice: probabilistic record
// linkage in the Fellegi–Sunter model over the whole registry (Run, and
// Service.Batch over the store), and the check of one record before a
// birth or initial registration allocates a new PIN (Service.Candidates;
// Screen plugs it into the registry with registry.WithScreen, so that such a
// registration is refused while candidates stand, unless the submitter
// declares them other people, and the overruled pairs are queued).
//
// # How a batch works
//
//  1. Records (Record, from registry.Person with RecordOf) hold only the
//     match forms of the fields compared: the name split into surname,
//     middle and given name (package compare), the date of birth, sex, the
//     province of birth registration, the permanent residence, the
//     parents' names and the phone number.
//  2. Blocking: each rule of Rules gives a record a 64-bit key (birth year
//     and the sorted words of the name; full date of birth and given name;
//     full date and surname; year, month, surname and given name; year,
//     given name and province of birth; year, surname, province of birth
//     and initial; year and mother's name; phone). Records sharing a key
//     are compared pair by pair; a block larger than Options.MaxBlock (a
//     very common name in one year) is sorted by date of birth and name and
//     compared within a window instead, so work stays near linear. A pair
//     that several rules bring together is compared once: a rule skips the
//     pairs an earlier rule already compared.
//  3. Comparison: Compare gives a Vector, one compare.Level per Field.
//  4. Estimation: u, the distribution of levels among non-matches, is the
//     level frequencies among the compared pairs (almost all of them two
//     people). m, the distribution among duplicates, is estimated by
//     expectation–maximisation on the counts of distinct vectors (a few
//     thousand, whatever the number of pairs) on the test bed, where
//     duplicates are known to be present (`dancu dedup --evaluate
//     --estimate-m --model-out`), and shipped as ReferenceModel. The parts
//     of the name and the date of birth keep prior m values there: left
//     free, the latent class that the estimation finds among pairs chosen
//     for agreeing on names is the family (siblings share surname,
//     parents, province and address), which outnumbers the duplicates a
//     hundredfold. A batch over the registry uses ReferenceModel's m and a
//     prior share of duplicates (DefaultPriorRate, 1% of records): on a
//     registry with almost no duplicates there is nothing to estimate m or
//     the share from, and an estimation there settles on the next
//     structure — 180,000 false candidates among 1,000,000 clean records,
//     measured — or drives the share to 0 and hides the few duplicates.
//     What the registry does teach is the pairs registrars merged: they
//     are duplicates for certain, so a batch over the registry counts
//     their levels (as the review queue recorded them) and combines the
//     counts with ReferenceModel's m as a prior worth KnownPriorPairs
//     pairs (MFromKnown), so that the registry's own figures take over as
//     merges accumulate — a phone number changed since the first
//     registration, for one, which the test bed never shows.
//     Options.M and Options.PriorRate say which; Run with neither
//     estimates everything but u.
//  5. Scoring: a pair's match weight is the sum of log2(m/u) over its
//     fields (missing values count 0); its posterior probability follows
//     from Lambda. Plausible pairs (given name and surname at least partly
//     alike, the same year of birth, not another sex) from
//     Options.MinProbability (0.5) are candidates, each with the evidence
//     per field (FieldEvidence).
//
// Memory is the records (about 400 bytes each), one 8-byte key per rule
// and record, and 12 bytes per pair compared: about 1.9 GB of resident
// memory for 1,000,000 people with 17 million pairs compared.
//
// # Quality
//
// Measured, not guessed: package evaluate links a synthetic population
// (package synth) with injected duplicates (package testbed) and compares
// the pairs found with the truth; TestRun_quality and evaluate.TestRun
// assert F1 ≥ 0.95, and `dancu dedup --evaluate` gives the figure for
// 1,000,000 people (BENCHMARKS.md).
//
// # The review queue
//
// Service.Batch writes candidate pairs to the store's review queue
// (store.Duplicates) with their weight, probability and evidence, and
// saves the estimated model (setting "linkage.model") for Candidates;
// before any batch, Candidates uses ReferenceModel, estimated on the test
// bed. Registrars work the queue in the console (package review): a merge
// is the life event records_merged, which keeps both records' history and
// links the two PINs; a decided pair is never reopened by a later batch.
package linkage
