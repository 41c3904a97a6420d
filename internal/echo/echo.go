// Package echo is a TCP echo server and a ping-pong client written at the
// callback level of package loop, on raw non-blocking sockets. The echo
// demo runs them for people to read; the benchmarks measure them against
// goroutines and net.Conn.
package echo

import (
	"errors"
	"fmt"

	"github.com/f04742a6/reactor/internal/sock"
	"github.com/f04742a6/reactor/loop"
)

// conn is one socket with the bytes it still has to write. Writes that the
// kernel does not take at once wait for a writer callback, so nothing is
// lost and nothing is buffered without bound: while output is pending,
// the connection stops reading.
type conn struct {
	l       *loop.Loop
	fd      uintptr
	pending []byte
	buf     []byte
	onData  func(c *conn, p []byte) // called with what one read returned
	onClose func(c *conn, err error)
	closed  bool
	// backPressure stops reading while output is pending (the server's
	// choice: a peer that does not read cannot make it buffer without
	// bound). A client keeps reading, or both ends could wait on each other.
	backPressure bool
}

func newConn(l *loop.Loop, fd uintptr, bufSize int) *conn {
	return &conn{l: l, fd: fd, buf: make([]byte, bufSize)}
}

func (c *conn) start() error {
	return c.l.AddReader(c.fd, c.readable)
}

// readable reads once: a short read means the socket is drained (the
// reactor is edge-triggered), a full buffer means more may be there.
func (c *conn) readable() {
	for !c.closed && !(c.backPressure && len(c.pending) > 0) {
		n, err := sock.Read(c.fd, c.buf)
		if errors.Is(err, sock.ErrWouldBlock) {
			return
		}
		if err != nil || n == 0 {
			c.close(err)
			return
		}
		c.onData(c, c.buf[:n])
		if n < len(c.buf) {
			return
		}
	}
}

// write sends p, keeping what the kernel refuses until it is writable.
func (c *conn) write(p []byte) {
	if c.closed {
		return
	}
	if len(c.pending) > 0 {
		c.pending = append(c.pending, p...)
		return
	}
	n, err := sock.Write(c.fd, p)
	if err != nil && !errors.Is(err, sock.ErrWouldBlock) {
		c.close(err)
		return
	}
	if n < len(p) {
		c.pending = append(c.pending[:0], p[n:]...)
		if c.backPressure {
			c.l.RemoveReader(c.fd)
		}
		if err := c.l.AddWriter(c.fd, c.writable); err != nil {
			c.close(err)
		}
	}
}

func (c *conn) writable() {
	n, err := sock.Write(c.fd, c.pending)
	if err != nil && !errors.Is(err, sock.ErrWouldBlock) {
		c.close(err)
		return
	}
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.pending = nil
		c.l.RemoveWriter(c.fd)
		if c.backPressure {
			if err := c.l.AddReader(c.fd, c.readable); err != nil {
				c.close(err)
			}
		}
	}
}

func (c *conn) close(err error) {
	if c.closed {
		return
	}
	c.closed = true
	c.l.RemoveReader(c.fd)
	c.l.RemoveWriter(c.fd)
	sock.Close(c.fd)
	if c.onClose != nil {
		c.onClose(c, err)
	}
}

// Server echoes what it reads on every connection it accepts.
type Server struct {
	l     *loop.Loop
	fd    uintptr
	Port  int
	conns map[*conn]struct{}
	// Accepted counts connections accepted so far.
	Accepted int
}

// Listen starts an echo server on 127.0.0.1:port (0 picks a port). Call it
// from the loop's goroutine, before Run or from a callback.
func Listen(l *loop.Loop, port int) (*Server, error) {
	fd, bound, err := sock.ListenTCP(port)
	if err != nil {
		return nil, fmt.Errorf("echo: listen: %w", err)
	}
	s := &Server{l: l, fd: fd, Port: bound, conns: make(map[*conn]struct{})}
	if err := l.AddReader(fd, s.accept); err != nil {
		sock.Close(fd)
		return nil, fmt.Errorf("echo: listen: %w", err)
	}
	return s, nil
}

func (s *Server) accept() {
	for {
		fd, err := sock.Accept(s.fd)
		if err != nil {
			// EAGAIN: drained. Anything else (EMFILE...) is left for the
			// next readiness edge rather than retried in a busy loop.
			return
		}
		c := newConn(s.l, fd, 64<<10)
		c.backPressure = true
		c.onData = func(c *conn, p []byte) { c.write(p) }
		c.onClose = func(c *conn, _ error) { delete(s.conns, c) }
		if err := c.start(); err != nil {
			sock.Close(fd)
			continue
		}
		s.conns[c] = struct{}{}
		s.Accepted++
	}
}

// Close stops listening and closes every connection.
func (s *Server) Close() {
	s.l.RemoveReader(s.fd)
	sock.Close(s.fd)
	for c := range s.conns {
		c.close(nil)
	}
}
