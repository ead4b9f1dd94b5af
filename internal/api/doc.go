// Package api is dancu's HTTP plumbing and the registry's REST API.
//
// It owns what every HTTP endpoint of the process shares: request ids,
// the structured access log, panic recovery, Prometheus metrics, the body
// size limit, security headers, bearer-token authentication of /v1/, and
// RFC 9457 problem details for every error. On top of that plumbing it
// serves the registry's resources under /v1/ (citizens, households and life
// events), the health endpoints /healthz and /readyz, the metrics at
// /metrics, and the OpenAPI 3.1 document at /openapi.json, which huma
// generates from the Go types in this package.
//
// Personal data never reaches a log line: the access log names the route
// pattern (/v1/citizens/{pin}), never the requested path, and error details
// carry the registry's field names and reasons, never submitted values.
//
// New builds a Server from explicit dependencies; each domain has a Handler
// with a Mount method, so other packages can add their operations to the
// same huma API and their plain handlers to the same mux.
package api
