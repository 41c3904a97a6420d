//go:build !unix

package main

import "time"

var started = time.Now()

// cpuTime stands in for the process's CPU time where getrusage is
// missing: wall time, which a single loop that never waits spends as CPU.
func cpuTime() time.Duration { return time.Since(started) }
