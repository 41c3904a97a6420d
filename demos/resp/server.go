package main

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Buffer sizes of a connection: it reads into readSize bytes, growing
// (doubling) only while one request does not fit, up to maxRequest; its
// replies are written once per batch, or sooner when they pass
// flushSize, so a pipeline of large replies is not buffered whole.
const (
	readSize  = 16 << 10
	flushSize = 64 << 10
)

// server is the RESP server's state shared by its connections.
type server struct {
	db *store
}

// conn is one client's session state.
type conn struct {
	db  *store
	s   streams.Stream
	out []byte // replies not yet written
}

// flush writes the replies gathered so far.
func (c *conn) flush(ctx context.Context) error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.s.Write(ctx, c.out)
	c.out = c.out[:0]
	return err
}

// flushIfFull writes the replies gathered so far once they pass
// flushSize: what bounds a connection's output buffer, within a batch and
// within one long reply (MGET).
func (c *conn) flushIfFull(ctx context.Context) error {
	if len(c.out) < flushSize {
		return nil
	}
	return c.flush(ctx)
}

// serveConn runs one client's session: it reads what has arrived, runs
// every complete request in it, and writes all their replies in one
// Write (Redis's batching: a pipeline of 16 costs one read and one
// write). A malformed request gets "-ERR Protocol error: ..." and the
// connection is closed; a client that leaves mid-request or mid-reply
// ends only its own session.
func (srv *server) serveConn(ctx context.Context, s streams.Stream) error {
	c := &conn{db: srv.db, s: s}
	buf := make([]byte, readSize)
	var args [][]byte
	start, end := 0, 0 // buf[start:end] is read and not yet parsed
	for {
		if start == end {
			start, end = 0, 0
		}
		if end == len(buf) { // a request does not fit in what is left
			if start > 0 {
				end = copy(buf, buf[start:end])
				start = 0
			} else {
				buf = slices.Grow(buf, len(buf))[:2*len(buf)] // bounded: maxRequest ends it
			}
		}
		n, err := s.Read(ctx, buf[end:])
		if err != nil {
			switch {
			case start == end && errors.Is(err, task.ErrBrokenResource):
				return nil // a reset between requests: the client left (redis-benchmark does)
			case err == io.EOF && start < end:
				return errors.New("resp: the client left in the middle of a request")
			}
			return err
		}
		end += n
		quit := false
		for start < end && !quit {
			var used int
			args, used, err = parseRequest(buf[start:end], args)
			if err == nil && used == 0 && end-start >= maxRequest {
				err = protocolError("request too big")
			}
			if err != nil {
				c.out = appendError(c.out, "ERR "+err.Error())
				c.flush(ctx) // best effort: the connection closes anyway
				return err
			}
			if used == 0 {
				break // the rest is a partial request
			}
			start += used
			if len(args) > 0 {
				if quit, err = c.exec(ctx, args); err != nil {
					return err
				}
			}
		}
		if err := c.flush(ctx); err != nil {
			return err
		}
		if quit {
			return nil
		}
		if cap(buf) > readSize && end-start < readSize {
			// The large request is done: give the memory back.
			buf = append(make([]byte, 0, readSize), buf[start:end]...)[:readSize]
			end -= start
			start = 0
		}
	}
}
