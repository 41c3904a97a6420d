package main

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Buffer sizes of a connection. It reads into readSize bytes, and grows
// its buffer only while one request does not fit (doubling, or straight
// to the size of an announced large argument), up to maxRequest plus a
// length line; once the large request has run and the connection has no
// more than readSize bytes waiting, the buffer goes back to readSize.
// Replies go through a writer of writeSize bytes (Redis's reply buffer
// is 16 KiB too), flushed once per read; a reply larger than that goes
// straight to the stream.
const (
	readSize  = 16 << 10
	writeSize = 16 << 10
	maxBuffer = maxRequest + maxLengthLine
	// replyChunk is how much of one reply (MGET's) is encoded before it
	// is handed to the writer; a connection keeps maxKeptReply bytes of
	// encoding buffer between reads.
	replyChunk   = writeSize
	maxKeptReply = 4 << 10
)

// server is the RESP server's state shared by its connections (and its
// loops, with -loops N).
type server struct {
	db *store
	// timeout closes a connection idle for that long: nothing read and
	// nothing written. 0: never (Redis's default).
	timeout time.Duration
	// pending bounds what all connections together hold for requests
	// not yet complete.
	pending budget
}

// budget is a bound on bytes shared by every connection of every loop:
// each charges what it holds beyond its fixed buffers, and a connection
// whose request would pass the bound is refused. The zero budget has no
// limit.
type budget struct {
	limit int64 // 0: none
	used  atomic.Int64
}

// charge moves a connection's charge from held to want bytes, or reports
// false (and leaves it at held) if that would pass the limit.
func (b *budget) charge(held, want int64) bool {
	d := want - held
	if b.used.Add(d) > b.limit && b.limit > 0 && d > 0 {
		b.used.Add(-d)
		return false
	}
	return true
}

// conn is one client's session state.
type conn struct {
	db  *store
	srv *server
	w   *streams.BufferedWriter
	// reply is the reply being encoded, handed to w after each command
	// (and on the way, for a long one).
	reply []byte
	// now is the loop clock at the batch's first command, in Unix
	// milliseconds, the time of every command of the batch (Redis caches
	// it too); 0 until then, so a read that completes no request costs
	// no clock read.
	now  int64
	quit bool // QUIT was run

	buf        []byte // buf[start:end] is read and not yet run: a partial request at most, between reads
	start, end int
	p          parser
	args       [][]byte
	held       int64 // bytes charged to srv.pending
}

// serveConn runs one client's session: it reads what has arrived, runs
// every complete request in it, and writes all their replies at once
// (Redis's batching: a pipeline of 16 costs one read and one write). A
// request that arrives in pieces is parsed as they come, never again from
// its start. A malformed request gets "-ERR Protocol error: ..." and the
// connection is closed; a client that leaves mid-request or mid-reply
// ends only its own session; with a timeout, one that does nothing for
// that long is closed.
func (srv *server) serveConn(ctx context.Context, s streams.Stream) error {
	c := &conn{db: srv.db, srv: srv}
	defer c.release()
	if srv.timeout <= 0 {
		c.w = streams.NewBufferedWriter(s, writeSize)
		return c.serve(ctx, s)
	}
	return task.WithScope(ctx, func(ctx context.Context, sc *task.Scope) error {
		is := &idleStream{Stream: s, sc: sc, timeout: srv.timeout}
		c.w = streams.NewBufferedWriter(is, writeSize)
		return c.serve(ctx, is)
	}) // an idle connection: the scope catches its own deadline, the session ends without error
}

func (c *conn) serve(ctx context.Context, s streams.Stream) error {
	for {
		if err := c.makeRoom(); err != nil {
			return c.refuse(ctx, err)
		}
		n, err := s.Read(ctx, c.buf[c.end:])
		if err != nil {
			switch {
			case c.start == c.end && errors.Is(err, task.ErrBrokenResource):
				return nil // a reset between requests: the client left (redis-benchmark does)
			case err == io.EOF && c.start < c.end:
				return errors.New("resp: the client left in the middle of a request")
			}
			return err
		}
		c.end += n
		c.now = 0 // read again by the batch's first command
		if err := c.runBuffered(ctx); err != nil {
			return err
		}
		if err := c.w.Flush(ctx); err != nil || c.quit {
			return err
		}
		c.shrink()
	}
}

// runBuffered runs every complete request buffered, parsing the partial
// one at the end as far as it goes.
func (c *conn) runBuffered(ctx context.Context) error {
	for c.start < c.end {
		args, used, err := c.p.parse(c.buf[c.start:c.end], c.args)
		c.args = args
		if err == nil {
			err = c.account(cap(c.buf))
		}
		if err != nil {
			return c.refuse(ctx, err)
		}
		if used == 0 {
			return nil // the rest is a partial request
		}
		c.start += used
		if len(args) > 0 {
			if err := c.exec(ctx, args); err != nil {
				return err
			}
		}
		if cap(c.args) > maxKeptArgs {
			c.args = nil
		}
		if c.quit {
			return nil
		}
	}
	return nil
}

// refuse answers a request that cannot be served and ends the session.
func (c *conn) refuse(ctx context.Context, err error) error {
	c.errorReply("ERR " + err.Error())
	if c.send(ctx) == nil {
		c.w.Flush(ctx) // best effort: the connection closes anyway
	}
	return err
}

// makeRoom makes sure the buffer has room to read into: it starts it,
// moves a partial request to its front, or grows it for a request that
// does not fit, within maxBuffer and the server's bound.
func (c *conn) makeRoom() error {
	if c.start == c.end {
		c.start, c.end = 0, 0
	}
	switch {
	case c.buf == nil:
		c.buf = make([]byte, readSize)
		return nil
	case c.end < len(c.buf):
		return nil
	case c.start > 0:
		c.end = copy(c.buf, c.buf[c.start:c.end])
		c.start = 0
		return nil
	}
	lo, hi := c.p.need(c.buf[:c.end])
	size := min(max(2*len(c.buf), lo), hi, maxBuffer)
	if size <= len(c.buf) {
		return protocolError("request too big")
	}
	if err := c.account(size); err != nil {
		return err
	}
	buf := make([]byte, size)
	copy(buf, c.buf[:c.end])
	c.buf = buf
	return nil
}

// shrink gives a large request's memory back once it has run: the
// buffer goes back to readSize when what waits in it fits there, and a
// long reply's encoding buffer goes.
func (c *conn) shrink() {
	if cap(c.reply) > maxKeptReply {
		c.reply = nil
	}
	if len(c.buf) == readSize || c.end-c.start > readSize/2 {
		return
	}
	if c.start == c.end {
		c.buf = nil // the next read starts a fresh one
	} else {
		buf := make([]byte, readSize)
		c.end = copy(buf, c.buf[c.start:c.end])
		c.start = 0
		c.buf = buf
	}
	clear(c.args[:cap(c.args)]) // nothing may keep the old buffer alive
	c.account(readSize)         // a smaller charge always fits
}

// account charges the server's bound with what the connection holds
// beyond its fixed buffers, with a buffer of bufSize bytes: the buffer's
// growth and the parser's place-keeping of a large request.
func (c *conn) account(bufSize int) error {
	want := int64(max(bufSize-readSize, 0) + c.p.held())
	if want == c.held {
		return nil
	}
	if !c.srv.pending.charge(c.held, want) {
		return protocolError("unfinished requests would hold more than the server's limit of %d bytes", c.srv.pending.limit)
	}
	c.held = want
	return nil
}

// release gives back what the connection holds when it ends.
func (c *conn) release() {
	c.srv.pending.charge(c.held, 0)
	c.held = 0
}

// The reply encoders of a command append to c.reply; exec hands it to the
// writer.

func (c *conn) simple(s string)       { c.reply = appendSimple(c.reply, s) }
func (c *conn) errorReply(msg string) { c.reply = appendError(c.reply, msg) }
func (c *conn) integer(n int64)       { c.reply = appendInt(c.reply, n) }
func (c *conn) null()                 { c.reply = appendNull(c.reply) }
func (c *conn) array(n int)           { c.reply = appendArrayHeader(c.reply, n) }

// bulk appends a bulk string; a long one is written straight through,
// not copied into the reply.
func (c *conn) bulk(ctx context.Context, v []byte) error {
	if len(v) < writeSize {
		c.reply = appendBulk(c.reply, v)
		if len(c.reply) >= replyChunk {
			return c.send(ctx)
		}
		return nil
	}
	c.reply = appendBulkHeader(c.reply, len(v))
	if err := c.send(ctx); err != nil {
		return err
	}
	if _, err := c.w.Write(ctx, v); err != nil {
		return err
	}
	c.reply = append(c.reply, '\r', '\n')
	return nil
}

// value appends a GET-style reply: the value, or null.
func (c *conn) value(ctx context.Context, v []byte, ok bool) error {
	if !ok {
		c.null()
		return nil
	}
	return c.bulk(ctx, v)
}

// send hands the encoded reply to the writer, which writes it to the
// stream when its buffer is full (else at the end of the batch).
func (c *conn) send(ctx context.Context) error {
	if len(c.reply) == 0 {
		return nil
	}
	_, err := c.w.Write(ctx, c.reply)
	c.reply = c.reply[:0]
	return err
}

// nowMillis is the loop clock in Unix milliseconds, Redis's unit.
func nowMillis(ctx context.Context) int64 { return task.Now(ctx).UnixMilli() }

// idleStream is the connection's stream with an idle timeout: every read
// and every write moves the deadline of the session's scope to timeout
// from now, so the session ends after timeout without progress either
// way. Writes go in pieces of at most idleChunk bytes, so a long reply
// that a slow client reads steadily is progress, not idleness.
type idleStream struct {
	streams.Stream
	sc      *task.Scope
	timeout time.Duration
}

const idleChunk = 64 << 10

func (s *idleStream) touch(ctx context.Context) { s.sc.SetDeadline(task.Now(ctx).Add(s.timeout)) }

func (s *idleStream) Read(ctx context.Context, p []byte) (int, error) {
	s.touch(ctx)
	return s.Stream.Read(ctx, p)
}

func (s *idleStream) Write(ctx context.Context, p []byte) (int, error) {
	written := 0
	for {
		s.touch(ctx)
		n, err := s.Stream.Write(ctx, p[:min(len(p), idleChunk)])
		written += n
		p = p[n:]
		if err != nil || len(p) == 0 {
			return written, err
		}
	}
}
