package loop

import (
	"reflect"
	"runtime"

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
type pool struct{ free []*call }

func (p *pool) get(kind Kind, fn func()) *call {
	var c *call
	if n := len(p.free); n > 0 {
		c = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
	} else {
		c = new(call)
		c.timer.Value = c
	}
	c.fn, c.kind, c.state = fn, kind, callPending
	return c
}

func (p *pool) put(c *call) {
	c.gen++ // invalidates outstanding Handles
	c.fn, c.state, c.queued = nil, callFree, false
	p.free = append(p.free, c)
}

// queue is a FIFO ring of calls; it grows by doubling and never shrinks
// below its peak, so a steady load allocates nothing.
type queue struct {
	buf        []*call
	head, size int
}

func (q *queue) len() int { return q.size }

func (q *queue) push(c *call) {
	if q.size == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.size)&(len(q.buf)-1)] = c
	q.size++
}

func (q *queue) pop() *call {
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return c
}

// at returns the i-th queued call, for shuffling a batch in place.
func (q *queue) slot(i int) **call { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *queue) grow() {
	n := len(q.buf) * 2
	if n == 0 {
		n = 64
	}
	buf := make([]*call, n)
	for i := range q.size {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}
