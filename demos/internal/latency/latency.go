// Package latency summarises the round trips a demo's load client
// measured.
package latency

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Summary is a load run's throughput and latency.
type Summary struct {
	Trips    int           // round trips measured
	Wall     time.Duration // the whole run
	P50, P99 time.Duration // of one round trip
}

// Summarize merges each connection's round trips (perConn[i] for
// connection i) measured over wall.
func Summarize(perConn [][]time.Duration, wall time.Duration) Summary {
	all := slices.Concat(perConn...)
	slices.Sort(all)
	s := Summary{Trips: len(all), Wall: wall}
	if len(all) > 0 {
		s.P50, s.P99 = all[len(all)/2], all[len(all)*99/100]
	}
	return s
}

// Report prints what of per second (count of them in all) and the
// round trip's p50 and p99.
func (s Summary) Report(out io.Writer, what string, count int) {
	fmt.Fprintf(out, "  %.0f %s/s; round trip p50 %v, p99 %v\n",
		float64(count)/s.Wall.Seconds(), what, s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond))
}
