package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// readSize is a connection's read buffer: a head must fit in maxHead,
// the rest is room for pipelined requests.
const readSize = 16 << 10

// errIdle ends a keep-alive connection that sent nothing for the idle
// timeout (or took longer than that to send one request's head).
var errIdle = errors.New("http: idle connection closed")

// server serves hello at "/" and files under root.
type server struct {
	files *fileServer // nil: no static files
	idle  time.Duration
}

// serveConn runs one connection: it reads what has arrived, answers every
// complete request in it (HTTP/1.1 pipelining) into a
// streams.BufferedWriter of 16 KiB, and flushes it before it reads again,
// as the RESP demo does: the answers to a pipeline that arrived in one
// read go out in one Write while they fit the buffer, in a Write per full
// buffer past that. The connection is kept alive (HTTP/1.1 unless
// "Connection: close"; HTTP/1.0 only with "Connection: keep-alive", and
// the answer then says "Connection: keep-alive") until the client closes
// it, a request is refused (400, 413, 431, 501, 505: the reply goes out
// and the connection closes), or it makes no progress for s.idle: a
// cancel scope whose deadline moves with each request and with each piece
// of an answer the client takes (at most writePiece bytes: see
// progressStream), so a long download read steadily is never cut, while
// the time a client may take over one request's head stays bounded.
func (srv *server) serveConn(ctx context.Context, s streams.Stream) error {
	var timeout *task.Scope
	err := task.WithScope(ctx, func(ctx context.Context, sc *task.Scope) error {
		timeout = sc
		return srv.session(ctx, sc, s)
	})
	if timeout.Outcome() == task.OutcomeDeadline {
		return errIdle
	}
	return err
}

func (srv *server) session(ctx context.Context, idle *task.Scope, s streams.Stream) error {
	w := newResponseWriter(s, idle, srv.idle)
	buf := make([]byte, readSize)
	start, end := 0, 0 // buf[start:end] is read and not yet parsed
	var skip int64     // body bytes still to drop before the next request
	for {
		if start == end && skip == 0 && !w.deadlineMoved() {
			// Between requests: the next one, head and body, must arrive
			// within the idle time (where the last answer's last piece
			// put the deadline, if no other wait came after it). The
			// deadline does not move while a request trickles in, so a
			// client that sends a byte a minute cannot hold the
			// connection; only answers written (progressStream) move it
			// meanwhile.
			moveIdle(ctx, idle, srv.idle)
		}
		if start == end {
			start, end = 0, 0
		} else if start > 0 && len(buf)-end < maxHead {
			end = copy(buf, buf[start:end])
			start = 0
		}
		n, err := s.Read(ctx, buf[end:])
		if err != nil {
			between := start == end && skip == 0
			switch {
			case between && errors.Is(err, task.ErrBrokenResource):
				return nil // a reset between requests: the client left (wrk does, at its end)
			case err == io.EOF && !between:
				return errors.New("http: the client left in the middle of a request")
			}
			return err
		}
		end += n
		w.waited()
		for start < end {
			if skip > 0 {
				drop := min(skip, int64(end-start))
				start += int(drop)
				skip -= drop
				continue
			}
			req, used, rerr := parseRequest(buf[start:end])
			if rerr != nil {
				if w.status(ctx, rerr.status, rerr.reason, connClose) == nil {
					w.flush(ctx) // best effort: the connection closes anyway
				}
				return rerr
			}
			if used == 0 {
				break // the rest is a partial head
			}
			start += used
			skip = req.contentLength
			if err := srv.respond(ctx, w, &req); err != nil {
				return err
			}
			if req.close {
				return w.flush(ctx)
			}
		}
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
}

// hello is the body of "/".
const hello = "Hello, World!\n"

// respond answers one request.
func (srv *server) respond(ctx context.Context, w *responseWriter, req *request) error {
	switch {
	case string(req.method) != "GET" && string(req.method) != "HEAD":
		return w.reply(ctx, 405, "text/plain; charset=utf-8", []byte("only GET and HEAD are served\n"), req, "Allow: GET, HEAD\r\n")
	case req.path == "/":
		return w.reply(ctx, 200, "text/plain; charset=utf-8", []byte(hello), req, "")
	case srv.files == nil:
		return w.status(ctx, 404, "no such page", connection(req))
	}
	return srv.files.serve(ctx, w, req)
}
