package streams

import (
	"context"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/task"
)

// Conn returns s as a net.Conn bound to the calling task: crypto/tls,
// bufio, encoding/* and other code written for net.Conn run unchanged
// inside the task. Read and Write must be called from that task (they
// are checkpoints of it, and its cancellation ends them); Close and the
// Set*Deadline methods are safe from any goroutine.
//
// Deadlines are on the loop's clock: a deadline t is taken as "after
// t.Sub(time.Now()) of the loop's time" when the call starts, so on a
// mock clock they move with it. A call that passes its deadline fails
// with an error matching os.ErrDeadlineExceeded whose Timeout() is true,
// as with package net; a later call may succeed once the deadline is
// moved. A deadline changed while a call is blocked applies from the
// next call.
func Conn(ctx context.Context, s Stream) net.Conn {
	return &conn{ctx: ctx, s: s}
}

type conn struct {
	ctx context.Context
	s   Stream
	// Deadlines, as UnixNano of the wall clock; 0: none.
	readDeadline, writeDeadline atomic.Int64
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.do(&c.readDeadline, "read", p, c.s.Read)
	if err == io.EOF {
		return n, io.EOF // bufio and friends compare with ==
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	return c.do(&c.writeDeadline, "write", p, c.s.Write)
}

// do runs one call under the direction's deadline, if one is set.
func (c *conn) do(deadline *atomic.Int64, op string, p []byte, call func(context.Context, []byte) (int, error)) (int, error) {
	dl := deadline.Load()
	if dl == 0 {
		return call(c.ctx, p)
	}
	left := time.Until(time.Unix(0, dl))
	if left <= 0 {
		// Still a checkpoint: cancellation first, and the budget spent,
		// so a caller that retries a timed-out Read cannot keep the loop.
		name := "Conn.Write"
		if op == "read" {
			name = "Conn.Read"
		}
		if err := task.CheckCancelled(c.ctx, name); err != nil {
			return 0, err
		}
		task.Progress(c.ctx)
		return 0, c.timeout(op)
	}
	var n int
	var err error
	timedOut, werr := task.MoveOnAfter(c.ctx, left, func(ctx context.Context) error {
		n, err = call(ctx, p)
		return err
	})
	if timedOut {
		return n, c.timeout(op)
	}
	if err == nil {
		err = werr
	}
	return n, err
}

func (c *conn) timeout(op string) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
}

func (c *conn) Close() error { return c.s.Close() }

func (c *conn) LocalAddr() net.Addr  { return addrOf(c.s, true) }
func (c *conn) RemoteAddr() net.Addr { return addrOf(c.s, false) }

func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Store(unixNano(t))
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
