// Package evaluate measures duplicate detection on the test bed: a
// synthetic population (package synth) with a share of its people
// registered twice (package testbed), linked by package linkage, and the
// pairs found compared with the truth. It backs `dancu dedup --evaluate`
// and the quality tests.
package evaluate
