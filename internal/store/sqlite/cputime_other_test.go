//go:build !unix

package sqlite

import "time"

// cpuTime is not measured outside Unix; the benchmarks report zero.
func cpuTime() time.Duration { return 0 }
