// Package loadgen drives a running dancu server with a mix of realistic
// requests for a fixed time and reports throughput, latency percentiles and
// failures per operation: `dancu bench`.
//
// It sets up what the mix needs through the administrator's API — a pool of
// people found by search, a connected agency with an API client (a fresh
// Ed25519 key, private_key_jwt) and a grant — so it needs the admin token and
// writes to the target: run it against a test or staging installation, never
// against production data.
//
// Each of Connections workers runs a closed loop, picking the next operation
// at random by the mix's weights. A 5xx answer or a transport failure is an
// error; a 4xx is counted as refused (a correction of a dead person's record
// is refused by design, as is a correction that loses a race with another
// one of the same person, 409). Latency is measured from sending the request
// to reading the whole answer.
//
// With several server URLs (processes sharing one store), connection w goes
// to server w mod n, as a load balancer balancing connections would. With a
// rate, the connections share a fixed schedule of that many requests per
// second instead of running as fast as answers come, and latency is measured
// from each request's scheduled start, so that a server falling behind shows
// in the percentiles. With a sampling interval, each server's /metrics is
// read for its resident memory, Go heap and goroutines, and the report gives
// the least-squares slope of each, over the run and its second half: the
// "memory flat" check of a long run.
package loadgen
