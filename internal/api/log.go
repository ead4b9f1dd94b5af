package api

// Log attribute keys. They are constants so that every line of every
// package that logs through this one uses the same names, and so that log
// queries can rely on them.
const (
	KeyRequestID = "request_id"
	KeyMethod    = "method"
	KeyRoute     = "route"
	KeyStatus    = "status"
	KeyDuration  = "duration_ms"
	KeyBytes     = "bytes"
	KeyPrincipal = "principal"
	// KeyClientGone marks a request whose client went away before it was
	// answered.
	KeyClientGone = "client_gone"
	KeyError      = "error"
	KeyPanic      = "panic"
	KeyStack      = "stack"
	KeyHousehold  = "household_id"
)
