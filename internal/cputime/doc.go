// Package cputime reads the CPU time the process has used, user and system,
// all threads: on a shared machine the figure of a benchmark that other
// jobs distort least.
package cputime
