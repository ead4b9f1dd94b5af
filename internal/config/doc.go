// Package config is the configuration of a dancu process: its fields and
// their defaults, where each comes from, and what makes a configuration
// valid.
//
// A setting is taken, lowest precedence first, from Default, from one YAML
// file (--config or DANCU_CONFIG), from a DANCU_* environment variable, and
// from a command-line flag. Validate reports every problem at once, so that
// an operator fixes a configuration in one round. Secrets (the admin token,
// the password in a database URL) never appear in String, LogValue or an
// error message.
package config
