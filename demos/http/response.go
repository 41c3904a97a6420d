package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// writePiece is the size of a connection's reply buffer and the most one
// Write hands the stream. Each piece the client takes moves the idle
// deadline: a client that reads steadily keeps its connection however
// long the response, one that takes less than writePiece per idle period
// loses it.
const writePiece = 16 << 10

// responseWriter encodes a connection's responses and writes them
// through a streams.BufferedWriter of writePiece bytes: the answers to a
// pipeline gather in its buffer, which goes out when full and on flush
// (once per read: a pipeline that arrived in one read is answered in one
// Write), and a file's chunks, larger than the buffer, go straight
// through.
type responseWriter struct {
	w  *streams.BufferedWriter
	ps *progressStream // what w writes to
	// head is the response being encoded (its head, and a short body),
	// kept for the next one.
	head []byte
	// chunk holds a piece of a file read on a worker thread; allocated
	// at the first file, as large as its first chunk, grown up to
	// chunkSize by larger files.
	chunk []byte
	// date is the Date header's value for the second dateSec (the loop
	// clock's): formatted once a second, not once a response. The clock
	// is read at the first answer after a wait (dated is then set), not
	// once a response: the answers to a pipeline share a Date.
	date    []byte
	dateSec int64
	dated   bool
}

// newResponseWriter returns the writer of a connection's responses to s;
// idle is the connection's idle scope: every piece of at most writePiece
// bytes that s takes moves its deadline idleFor ahead.
func newResponseWriter(s streams.Stream, idle *task.Scope, idleFor time.Duration) *responseWriter {
	ps := &progressStream{Stream: s, idle: idle, idleFor: idleFor}
	return &responseWriter{w: streams.NewBufferedWriter(ps, writePiece), ps: ps}
}

// waited is called after every wait of the session other than a write
// to the stream (a read, file work on a worker thread): time passed, so
// the next answer reads the clock for its Date, and the idle deadline is
// no longer where the last piece written put it.
func (w *responseWriter) waited() {
	w.dated = false
	w.ps.moved = false
}

// deadlineMoved reports that a piece written since the last other wait
// moved the idle deadline: it is idleFor after the session's last wait
// already, and setting it again would only cost a clock read and a timer.
func (w *responseWriter) deadlineMoved() bool { return w.ps.moved }

// progressStream is a connection's stream whose writes go in pieces of at
// most writePiece bytes, each moving the idle scope's deadline once the
// stream took it: idle means no progress, not a long response.
type progressStream struct {
	streams.Stream
	idle    *task.Scope
	idleFor time.Duration
	moved   bool // a piece moved the deadline since waited
}

func (s *progressStream) Write(ctx context.Context, p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n, err := s.Stream.Write(ctx, p[:min(len(p), writePiece)])
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
		moveIdle(ctx, s.idle, s.idleFor)
		s.moved = true
	}
	return written, nil
}

// Values of the Connection header of a response.
const (
	connClose     = "close"
	connKeepAlive = "keep-alive" // an HTTP/1.0 client asked for it: say it is granted
)

// connection is the Connection header's value in the answer to req: ""
// for HTTP/1.1's default of keep-alive.
func connection(req *request) string {
	switch {
	case req.close:
		return connClose
	case req.minor == 0:
		return connKeepAlive // HTTP/1.0 closes unless told otherwise
	}
	return ""
}

// header encodes a status line and the headers into w.head; length is
// the body's (Content-Length), conn the Connection header's value (""
// for none), extra more header lines, each ended by CRLF.
func (w *responseWriter) header(ctx context.Context, status int, ctype string, length int64, conn string, extra string) {
	if !w.dated {
		w.dated = true
		now := task.Now(ctx)
		if sec := now.Unix(); sec != w.dateSec || w.date == nil {
			w.dateSec = sec
			w.date = now.UTC().AppendFormat(w.date[:0], http.TimeFormat)
		}
	}
	w.head = append(w.head[:0], "HTTP/1.1 "...)
	w.head = strconv.AppendInt(w.head, int64(status), 10)
	w.head = append(w.head, ' ')
	w.head = append(w.head, http.StatusText(status)...)
	w.head = append(w.head, "\r\nServer: reactor-demo\r\nDate: "...)
	w.head = append(w.head, w.date...)
	w.head = append(w.head, "\r\nContent-Type: "...)
	w.head = append(w.head, ctype...)
	w.head = append(w.head, "\r\nContent-Length: "...)
	w.head = strconv.AppendInt(w.head, length, 10)
	if conn != "" {
		w.head = append(w.head, "\r\nConnection: "...)
		w.head = append(w.head, conn...)
	}
	w.head = append(w.head, "\r\n"...)
	w.head = append(w.head, extra...)
	w.head = append(w.head, "\r\n"...)
}

// reply writes a whole response with body (only its length, for HEAD).
func (w *responseWriter) reply(ctx context.Context, status int, ctype string, body []byte, req *request, extra string) error {
	w.header(ctx, status, ctype, int64(len(body)), connection(req), extra)
	if string(req.method) != "HEAD" {
		w.head = append(w.head, body...)
	}
	return w.send(ctx)
}

// status writes a plain-text response for an error status, saying why;
// conn is the Connection header's value.
func (w *responseWriter) status(ctx context.Context, status int, reason string, conn string) error {
	body := strconv.Itoa(status) + " " + http.StatusText(status) + ": " + reason + "\n"
	w.header(ctx, status, "text/plain; charset=utf-8", int64(len(body)), conn, "")
	w.head = append(w.head, body...)
	return w.send(ctx)
}

// send hands the encoded response to the buffered writer.
func (w *responseWriter) send(ctx context.Context) error {
	_, err := w.w.Write(ctx, w.head)
	return err
}

// write hands p, a piece of a body, to the buffered writer.
func (w *responseWriter) write(ctx context.Context, p []byte) error {
	_, err := w.w.Write(ctx, p)
	return err
}

// flush writes everything buffered.
func (w *responseWriter) flush(ctx context.Context) error { return w.w.Flush(ctx) }

// moveIdle puts sc's deadline idle from now, once it has fallen behind by
// idle/64: moving a timer on every piece and every request costs more
// than the write it follows, and a deadline at most idle/64 early bounds
// a silent client as well.
func moveIdle(ctx context.Context, sc *task.Scope, idle time.Duration) {
	next := task.Now(ctx).Add(idle)
	if d, ok := sc.Deadline(); !ok || next.Sub(d) >= idle/64 {
		sc.SetDeadline(next)
	}
}
