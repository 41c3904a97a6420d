package streams

import (
	"context"
	"io"
	"net"
	"sync/atomic"

	"github.com/f04742a6/reactor/task"
)

// MemoryStream is one end of an in-memory stream pair (MemoryPair): the
// test double for a socket. It is a HalfCloser and passes the same
// streamtest battery as sockets do.
type MemoryStream struct {
	p      *memPair
	in     *memPipe // what this end reads
	out    *memPipe // what this end writes
	name   memAddr
	closed atomic.Bool
}

// memPair is what both ends share: the loop they run on (bound by the
// first operation in a task; Close from any goroutine runs there).
type memPair struct{ home task.Binding }

// memPipe is one direction of a pair. All fields are the loop's.
type memPipe struct {
	size int
	// buf holds bytes written and not yet read. Invariant: len(buf) <= size.
	buf []byte
	// pending is the rest of a parked writer's p that did not fit: the
	// reader takes from it directly, and the writer returns once it is
	// empty. It is cleared before the Write returns, so no reference to
	// p outlives the call.
	pending []byte
	// taken counts the bytes of pending the reader took, for the writer.
	taken  int
	reader task.Slot
	writer task.Slot
	// busy flags: a task is inside Read, or inside Write/CloseWrite.
	reading, writing bool
	// eof: the writing end finished (CloseWrite or Close): after buf, EOF.
	eof bool
	// broken: the reading end closed: writes fail.
	broken bool
}

// memAddr names the two ends for errors and RemoteAddr.
type memAddr string

func (a memAddr) Network() string { return "memory" }
func (a memAddr) String() string  { return string(a) }

// MemoryPair returns two connected in-memory streams. Each direction
// buffers at most size bytes; with size 0 the pair runs in lockstep: a
// Write returns only once the reader has taken every byte. Both ends must
// be used by tasks of one loop (Close from anywhere).
func MemoryPair(size int) (*MemoryStream, *MemoryStream) {
	size = max(size, 0)
	p := &memPair{}
	ab, ba := &memPipe{size: size}, &memPipe{size: size}
	a := &MemoryStream{p: p, in: ba, out: ab, name: "memory:a"}
	b := &MemoryStream{p: p, in: ab, out: ba, name: "memory:b"}
	return a, b
}

// begin checks an operation's start and binds the pair to the loop:
// cancellation first, then busy (another task is in the same direction:
// who says which), then closed. A closed end fails at once, and that
// counts as an operation completed without waiting: it spends the
// fairness budget, so a task that keeps calling cannot keep the loop.
func (m *MemoryStream) begin(ctx context.Context, op string, busy bool, who string) error {
	if err := task.CheckCancelled(ctx, op); err != nil {
		return err
	}
	if busy {
		return busyError(op, m.peer(), who)
	}
	if m.closed.Load() {
		task.Progress(ctx)
		return closedError(op, m.peer())
	}
	m.p.home.Bind(ctx)
	return nil
}

func (m *MemoryStream) peer() net.Addr {
	if m.name == "memory:a" {
		return memAddr("memory:b")
	}
	return memAddr("memory:a")
}

// Read reads at least one byte, or returns (0, io.EOF) once the other end
// closed for writing and everything before was read.
func (m *MemoryStream) Read(ctx context.Context, p []byte) (int, error) {
	in := m.in
	if err := m.begin(ctx, "read", in.reading, "reading"); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		task.Progress(ctx)
		return 0, nil
	}
	in.reading = true
	defer func() { in.reading = false }()
	waited := false
	for {
		if n := in.take(p); n > 0 {
			if !waited {
				task.Progress(ctx)
			}
			return n, nil
		}
		if in.eof {
			if !waited {
				task.Progress(ctx) // a caller that reads EOF again and again yields too
			}
			return 0, io.EOF
		}
		if err := in.reader.Wait(ctx, "Read"); err != nil {
			return 0, m.waitError("read", err)
		}
		waited = true
	}
}

// take moves up to len(p) bytes to p, from the buffer, then from a parked
// writer's pending bytes, and refills the buffer from them.
func (q *memPipe) take(p []byte) int {
	n := copy(p, q.buf)
	q.buf = q.buf[:copy(q.buf, q.buf[n:])]
	if n < len(p) && len(q.pending) > 0 {
		k := copy(p[n:], q.pending)
		q.pending, q.taken, n = q.pending[k:], q.taken+k, n+k
	}
	if len(q.pending) > 0 && len(q.buf) < q.size {
		k := min(q.size-len(q.buf), len(q.pending))
		q.buf = append(q.buf, q.pending[:k]...)
		q.pending, q.taken = q.pending[k:], q.taken+k
	}
	if n > 0 && len(q.pending) == 0 {
		q.writer.Wake(nil) // a parked writer is done
	}
	return n
}

// waitError maps a failed wait: a Close of this end reports closed.
func (m *MemoryStream) waitError(op string, err error) error {
	if m.closed.Load() {
		return closedError(op, m.peer())
	}
	return err
}

// Write hands all of p to the other end: into its buffer while there is
// room, then waiting for the reader to take the rest. It fails with
// task.ErrBrokenResource once the other end closed, and
// task.ErrClosedResource after CloseWrite.
func (m *MemoryStream) Write(ctx context.Context, p []byte) (int, error) {
	out := m.out
	if err := m.begin(ctx, "write", out.writing, "writing"); err != nil {
		return 0, err
	}
	if err := out.writable(m.peer()); err != nil {
		task.Progress(ctx)
		return 0, err
	}
	if len(p) == 0 {
		task.Progress(ctx)
		return 0, nil
	}
	out.writing = true
	defer func() { out.writing = false }()
	k := min(out.size-len(out.buf), len(p))
	out.buf = append(out.buf, p[:k]...)
	if k > 0 {
		out.reader.Wake(nil)
	}
	if k == len(p) {
		task.Progress(ctx)
		return k, nil
	}
	out.pending, out.taken = p[k:], 0
	out.reader.Wake(nil)
	err := out.writer.Wait(ctx, "Write")
	n := k + out.taken
	out.pending, out.taken = nil, 0 // keep no reference to p
	if err != nil {
		if n > 0 && n < len(p) && !out.broken && !out.eof {
			// The reader saw part of p: the rest can never follow in order.
			out.broken = true
			out.reader.Wake(nil)
		}
		return n, m.waitError("write", err)
	}
	if n < len(p) {
		return n, out.writable(m.peer())
	}
	return n, nil
}

// writable reports why writing is over, if it is.
func (q *memPipe) writable(peer net.Addr) error {
	switch {
	case q.eof:
		return opError("write", peer, task.ErrClosedResource, errAfterCloseWrite)
	case q.broken:
		return opError("write", peer, task.ErrBrokenResource, errPeerClosed)
	}
	return nil
}

// CloseWrite finishes this end's sending direction: the other end reads
// what was written, then io.EOF.
func (m *MemoryStream) CloseWrite(ctx context.Context) error {
	out := m.out
	if err := m.begin(ctx, "close write", out.writing, "writing"); err != nil {
		return err
	}
	out.eof = true
	out.reader.Wake(nil)
	task.Progress(ctx)
	return nil
}

// Close closes this end: the other end reads what was buffered, then
// io.EOF, and its writes fail with task.ErrBrokenResource. A task blocked
// on this end is woken with task.ErrClosedResource. Idempotent, and safe
// from any goroutine.
func (m *MemoryStream) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	m.p.home.Do(m.finishClose)
	return nil
}

// finishClose is Close on the loop.
func (m *MemoryStream) finishClose() {
	closed := closedError("closed", m.peer())
	out, in := m.out, m.in
	out.eof = true
	out.pending = nil
	out.writer.Wake(closed) // our own writer, in another task
	out.reader.Wake(nil)    // the peer's reader: EOF after the buffer
	in.broken = true
	in.buf = nil
	in.reader.Wake(closed)           // our own reader
	in.writer.Wake(errPeerClosedErr) // the peer's writer
}

// LocalAddr names this end ("memory:a" or "memory:b").
func (m *MemoryStream) LocalAddr() net.Addr { return m.name }

// RemoteAddr names the other end.
func (m *MemoryStream) RemoteAddr() net.Addr { return m.peer() }
