package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/loadgen"
)

// runBench drives a running server with a mix of requests (package
// loadgen) and prints the report; it fails when any request failed with a
// 5xx or a transport error.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "dancu bench --url URL[,URL...] [--token T] [--duration D] [--connections N] [--rate R] [--mix OP=W,...] [--sample-memory D]", stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's base `URL`; several, comma-separated, for processes sharing one store: connections are spread over them in turn")
	token := fs.String("token", "", "the admin `token` (or DANCU_ADMIN_TOKEN)")
	issuer := fs.String("issuer", "", "the server's public `URL` (its DANCU_PUBLIC_URL), if not --url")
	duration := fs.Duration("duration", 30*time.Second, "how long to drive the load")
	conns := fs.Int("connections", 32, "concurrent connections, each a closed loop")
	mix := fs.String("mix", "lookup=60,batch=5,read=10,search=10,event=15", "operations and their `weights`: lookup, batch, read, search, event")
	people := fs.Int("people", 2000, "size of the pool of people the requests pick from")
	seed := fs.Uint64("seed", 1, "random seed")
	rate := fs.Float64("rate", 0, "total `requests per second` on a fixed schedule (latency counted from the scheduled start); 0: as fast as the connections go")
	sample := fs.Duration("sample-memory", 0, "read each server's /metrics this often and report the trend of its memory (0: off)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("DANCU_ADMIN_TOKEN")
	}
	if *token == "" {
		return usageError{msg: "--token (or DANCU_ADMIN_TOKEN) is required: the bench sets up an agency and reads as the administrator"}
	}
	m, err := loadgen.ParseMix(*mix)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if *duration <= 0 || *conns <= 0 || *rate < 0 || *sample < 0 {
		return usageError{msg: "--duration and --connections must be positive, --rate and --sample-memory not negative"}
	}
	var urls []string
	for u := range strings.SplitSeq(*base, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return usageError{msg: "--url names no server"}
	}
	fmt.Fprintf(stderr, "setting up, then %s of load on %s...\n", *duration, strings.Join(urls, ", "))
	res, err := loadgen.Run(ctx, loadgen.Config{
		URLs: urls, AdminToken: *token, Issuer: *issuer, Duration: *duration,
		Connections: *conns, Rate: *rate, SampleEvery: *sample, Mix: m, People: *people, Seed: *seed,
	})
	if err != nil {
		return err
	}
	res.Write(stdout)
	if n := res.Errors(); n > 0 {
		return errors.New(fmt.Sprint(n, " requests failed with 5xx or a transport error"))
	}
	return nil
}
