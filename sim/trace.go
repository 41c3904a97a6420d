package sim

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// tracer writes the trace: to the Trace writer, and to sim.Test's ring
// of the last events.
type tracer struct {
	w    io.Writer
	ring *ring
	buf  []byte
}

func (t *tracer) on() bool { return t.w != nil || t.ring != nil }

// event records one event at simulated time at on host (none: the
// world's own, a fault).
func (t *tracer) event(at time.Duration, host, what string) {
	if !t.on() {
		return
	}
	b := t.buf[:0]
	b = appendTime(b, at)
	b = append(b, ' ')
	if host == "" {
		host = "-"
	}
	b = append(b, host...)
	b = append(b, ' ')
	b = append(b, what...)
	b = append(b, '\n')
	t.buf = b
	if t.w != nil {
		t.w.Write(b)
	}
	if t.ring != nil {
		t.ring.add(string(b))
	}
}

// appendTime writes at as seconds with microseconds, "+12.345678".
func appendTime(b []byte, at time.Duration) []byte {
	us := int64(at / time.Microsecond)
	b = append(b, '+')
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := strconv.FormatInt(us%1e6, 10)
	b = append(b, strings.Repeat("0", 6-len(frac))...)
	return append(b, frac...)
}

// ring keeps the last lines of a trace.
type ring struct {
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, n)} }

func (r *ring) add(s string) {
	r.lines[r.next] = s
	r.next++
	if r.next == len(r.lines) {
		r.next, r.full = 0, true
	}
}

// String returns the lines kept, oldest first.
func (r *ring) String() string {
	var b strings.Builder
	if r.full {
		for _, s := range r.lines[r.next:] {
			b.WriteString(s)
		}
	}
	for _, s := range r.lines[:r.next] {
		b.WriteString(s)
	}
	return b.String()
}
