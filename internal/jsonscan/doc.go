// Package jsonscan finds the members of a JSON object without decoding
// their values: where each one starts and ends, and its name. It is for hot
// paths that already know the input is valid JSON (json.Valid) and need
// only some members, or only their presence: a dataset line's members, a
// webhook body's released fields, the fields an API answer released. Decoding
// into a map of raw messages costs more than the checks those callers make.
package jsonscan
