package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// flushSize bounds what a connection gathers before writing: a pipeline
// of answers goes out in one Write until it passes this.
const flushSize = 64 << 10

// writePiece is the most one Write hands over. Each piece written moves
// the idle deadline: a client that reads steadily keeps its connection
// however long the response, one that takes less than writePiece per
// idle period loses it.
const writePiece = 16 << 10

// responseWriter gathers a connection's responses and writes them.
type responseWriter struct {
	s   streams.Stream
	out []byte // responses not yet written
	// idle, if set, is the connection's idle scope: every piece written
	// moves its deadline idleFor ahead.
	idle    *task.Scope
	idleFor time.Duration
	// date is the Date header's value for the second dateSec (the loop
	// clock's): formatted once a second, not once a response.
	date    []byte
	dateSec int64
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

// header appends a status line and the headers; length is the body's
// (Content-Length), conn the Connection header's value ("" for none),
// extra more header lines, each ended by CRLF.
func (w *responseWriter) header(ctx context.Context, status int, ctype string, length int64, conn string, extra string) {
	now := task.Now(ctx)
	if sec := now.Unix(); sec != w.dateSec || w.date == nil {
		w.dateSec = sec
		w.date = now.UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	w.out = append(w.out, "HTTP/1.1 "...)
	w.out = strconv.AppendInt(w.out, int64(status), 10)
	w.out = append(w.out, ' ')
	w.out = append(w.out, http.StatusText(status)...)
	w.out = append(w.out, "\r\nServer: reactor-demo\r\nDate: "...)
	w.out = append(w.out, w.date...)
	w.out = append(w.out, "\r\nContent-Type: "...)
	w.out = append(w.out, ctype...)
	w.out = append(w.out, "\r\nContent-Length: "...)
	w.out = strconv.AppendInt(w.out, length, 10)
	if conn != "" {
		w.out = append(w.out, "\r\nConnection: "...)
		w.out = append(w.out, conn...)
	}
	w.out = append(w.out, "\r\n"...)
	w.out = append(w.out, extra...)
	w.out = append(w.out, "\r\n"...)
}

// reply appends a whole response with body (only its length, for HEAD).
func (w *responseWriter) reply(ctx context.Context, status int, ctype string, body []byte, req *request, extra string) {
	w.header(ctx, status, ctype, int64(len(body)), connection(req), extra)
	if string(req.method) != "HEAD" {
		w.out = append(w.out, body...)
	}
}

// status appends a plain-text response for an error status, saying why;
// conn is the Connection header's value.
func (w *responseWriter) status(ctx context.Context, status int, reason string, conn string) {
	body := strconv.Itoa(status) + " " + http.StatusText(status) + ": " + reason + "\n"
	w.header(ctx, status, "text/plain; charset=utf-8", int64(len(body)), conn, "")
	w.out = append(w.out, body...)
}

// flush writes what was gathered, in pieces of at most writePiece, each
// moving the idle deadline.
func (w *responseWriter) flush(ctx context.Context) error {
	out := w.out
	w.out = w.out[:0]
	for len(out) > 0 {
		k := min(len(out), writePiece)
		if _, err := w.s.Write(ctx, out[:k]); err != nil {
			return err
		}
		out = out[k:]
		if w.idle != nil {
			w.idle.SetDeadline(task.Now(ctx).Add(w.idleFor))
		}
	}
	return nil
}

// flushIfFull writes what was gathered once it passes flushSize.
func (w *responseWriter) flushIfFull(ctx context.Context) error {
	if len(w.out) < flushSize {
		return nil
	}
	return w.flush(ctx)
}
