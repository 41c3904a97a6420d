package loop

import (
	"reflect"
	"runtime"

	"github.com/f04742a6/reactor/loop/ring"
	"github.com/f04742a6/reactor/timer"
)

// Kind says where a callback came from.
type Kind uint8

const (
	KindSoon       Kind = iota // CallSoon
	KindTimer                  // CallLater, CallAt
	KindThreadsafe             // CallSoonThreadsafe
	KindReader                 // AddReader
	KindWriter                 // AddWriter
	KindScheduled              // an item of the Scheduler (a task step)
)

func (k Kind) String() string {
	return [...]string{"soon", "timer", "threadsafe", "reader", "writer", "scheduled"}[k]
}

// call is the loop's record of one scheduled callback. Records are pooled;
// a Handle names a record together with its generation, so a Handle kept
// after its callback ran cannot cancel the record's next use.
type call struct {
	fn     func()
	gen    uint32
	kind   Kind
	state  callState
	queued bool // in the ready queue (fd callbacks are queued once per edge)
	fd     uintptr
	timer  timer.Timer[*call]
}

type callState uint8

const (
	callFree      callState = iota
	callPending             // waiting to run (or, for fd callbacks, watching)
	callCancelled           // cancelled while queued; freed when dequeued
)

func funcName(fn func()) string {
	if fn == nil {
		return "<nil>"
	}
	if f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()); f != nil {
		return f.Name()
	}
	return "<unknown>"
}

// Handle refers to a scheduled callback. The zero Handle refers to nothing.
type Handle struct {
	c   *call
	gen uint32
	l   *Loop
}

// Cancel stops the callback from running if it has not run yet. It
// returns whether it did. Cancelling twice, or after the callback ran, is a
// harmless no-op. Call it from the loop's goroutine.
func (h Handle) Cancel() bool {
	if h.c == nil || h.c.gen != h.gen || h.c.state != callPending {
		return false
	}
	h.l.checkOwner("Handle.Cancel")
	h.l.cancel(h.c)
	return true
}

// Pending reports whether the callback is still waiting to run.
func (h Handle) Pending() bool {
	return h.c != nil && h.c.gen == h.gen && h.c.state == callPending
}

// pool recycles call records so that scheduling allocates nothing in the
// steady state.
type pool struct{ free ring.FreeList[*call] }

func (p *pool) get(kind Kind, fn func()) *call {
	c, ok := p.free.Get()
	if !ok {
		c = new(call)
		c.timer.Value = c
	}
	c.fn, c.kind, c.state = fn, kind, callPending
	return c
}

func (p *pool) put(c *call) {
	c.gen++ // invalidates outstanding Handles
	c.fn, c.state, c.queued = nil, callFree, false
	p.free.Put(c)
}
