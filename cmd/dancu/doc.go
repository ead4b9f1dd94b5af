// Command dancu is the national population registry in one binary.
//
//	dancu serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo]
//	dancu generate --citizens N [--seed S] [--data DIR | --db DSN] [--workers W]
//	dancu version
//	dancu --help
//
// This package parses the command line and the configuration and wires the
// internal packages together; it is the only place that chooses a store
// backend. Each subcommand lives in its own file with a Run function that
// takes its arguments and output streams, so that tests run it in process.
package main
