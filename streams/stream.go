package streams

import (
	"context"
	"errors"
	"net"
)

// Stream is a byte stream: what a protocol server or client reads and
// writes. Every method that takes a ctx is a checkpoint of the calling
// task.
//
// Invariants every implementation keeps (streamtest checks them):
//   - Read returns at least one byte, or (0, io.EOF) once the peer has
//     finished sending and everything before that was read; len(p) == 0
//     returns (0, nil) after the checkpoint.
//   - Write returns only when all of p was handed over, or returns how
//     much was and the error; it keeps no reference to p.
//   - One task may read while another writes; a second reader (or a
//     second writer) fails at once with an error matching
//     task.ErrBusyResource.
//   - Close is idempotent, releases the stream's resources, and may be
//     called from any goroutine; a task blocked on the stream is woken
//     with an error matching task.ErrClosedResource, as is every later
//     call.
type Stream interface {
	Read(ctx context.Context, p []byte) (int, error)
	Write(ctx context.Context, p []byte) (int, error)
	Close() error
}

// HalfCloser is a Stream that can finish its sending direction alone:
// after CloseWrite, the peer reads everything written and then io.EOF,
// while this side can still read. CloseWrite counts as writing for busy
// detection, may be repeated, and makes later Writes fail with an error
// matching task.ErrClosedResource.
type HalfCloser interface {
	Stream
	CloseWrite(ctx context.Context) error
}

// Listener accepts incoming streams. Close is idempotent, safe from any
// goroutine, and wakes a blocked Accept with an error matching
// task.ErrClosedResource.
type Listener interface {
	Accept(ctx context.Context) (Stream, error)
	Addr() net.Addr
	Close() error
}

// Handler serves one connection. Serve closes the stream when it returns.
type Handler func(ctx context.Context, s Stream) error

// ErrTooLong is returned (wrapped) by a BufferedReader asked for more than
// its maximum: a line, a delimited record or an exact count that does not
// fit.
var ErrTooLong = errors.New("too long")

// addrOf returns a stream's local or remote address, for a net.Conn
// (which must have one): the stream's own if it has one, else a name.
func addrOf(s Stream, local bool) net.Addr {
	var a net.Addr
	if local {
		if l, ok := s.(interface{ LocalAddr() net.Addr }); ok {
			a = l.LocalAddr()
		}
	} else {
		a = remoteOf(s)
	}
	if a == nil {
		return memAddr("stream")
	}
	return a
}
