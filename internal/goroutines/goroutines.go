// Package goroutines reads goroutine ids and stacks from the runtime's
// stack traces: what the watchdogs of package loop and task need to show
// the line a blocked loop is stuck on, and what package task needs to find
// the task running on the calling goroutine. Go has no goroutine-local
// state and no public goroutine id; the trace header ("goroutine 18
// [running]:") is the documented, stable way to get both.
package goroutines

import (
	"bytes"
	"runtime"
	"strconv"
)

// ID returns the calling goroutine's id. It costs about 2 µs (a stack
// trace of the caller, cut short): keep it off hot paths.
func ID() uint64 {
	var buf [64]byte
	id, _, _ := header(buf[:runtime.Stack(buf[:], false)])
	return id
}

// Trace is one goroutine's entry in a dump of all of them.
type Trace struct {
	ID    uint64
	State string // "running", "coroutine", "chan receive", "sync.Mutex.Lock", ...
	Text  []byte // the whole entry: header, frames
}

// All returns every goroutine's trace (the world stops while it is taken:
// for reports, not for polling). maxBytes bounds the dump; entries past it
// are cut off.
func All(maxBytes int) []Trace {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxBytes {
			buf = buf[:n]
			break
		}
		buf = make([]byte, min(2*len(buf), maxBytes))
	}
	var out []Trace
	for len(buf) > 0 {
		entry := buf
		if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
			entry, buf = buf[:i], buf[i+2:]
		} else {
			buf = nil
		}
		if id, state, ok := header(entry); ok {
			out = append(out, Trace{ID: id, State: state, Text: entry})
		}
	}
	return out
}

// header parses "goroutine 18 [chan receive, 2 minutes]:".
func header(b []byte) (id uint64, state string, ok bool) {
	b, ok = bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0, "", false
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return 0, "", false
	}
	id, err := strconv.ParseUint(string(b[:sp]), 10, 64)
	if err != nil {
		return 0, "", false
	}
	rest := b[sp+1:]
	if len(rest) > 0 && rest[0] == '[' {
		end := bytes.IndexAny(rest, ",]")
		if end > 0 {
			state = string(rest[1:end])
		}
	}
	return id, state, true
}
