package main

import (
	"context"
	"net/http"
	"strconv"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// flushSize bounds what a connection gathers before writing: a pipeline
// of answers goes out in one Write until it passes this.
const flushSize = 64 << 10

// responseWriter gathers a connection's responses and writes them.
type responseWriter struct {
	s   streams.Stream
	out []byte // responses not yet written
	// date is the Date header's value for the second dateSec (the loop
	// clock's): formatted once a second, not once a response.
	date    []byte
	dateSec int64
}

// header appends a status line and the headers; length is the body's
// (Content-Length), extra more header lines, each ended by CRLF.
func (w *responseWriter) header(ctx context.Context, status int, ctype string, length int64, close bool, extra string) {
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
	if close {
		w.out = append(w.out, "\r\nConnection: close"...)
	}
	w.out = append(w.out, "\r\n"...)
	w.out = append(w.out, extra...)
	w.out = append(w.out, "\r\n"...)
}

// reply appends a whole response with body (only its length, for HEAD).
func (w *responseWriter) reply(ctx context.Context, status int, ctype string, body []byte, req *request, extra string) {
	w.header(ctx, status, ctype, int64(len(body)), req.close, extra)
	if string(req.method) != "HEAD" {
		w.out = append(w.out, body...)
	}
}

// status appends a plain-text response for an error status, saying why.
func (w *responseWriter) status(ctx context.Context, status int, reason string, close bool) {
	body := strconv.Itoa(status) + " " + http.StatusText(status) + ": " + reason + "\n"
	w.header(ctx, status, "text/plain; charset=utf-8", int64(len(body)), close, "")
	w.out = append(w.out, body...)
}

// flush writes what was gathered.
func (w *responseWriter) flush(ctx context.Context) error {
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.s.Write(ctx, w.out)
	w.out = w.out[:0]
	return err
}

// flushIfFull writes what was gathered once it passes flushSize.
func (w *responseWriter) flushIfFull(ctx context.Context) error {
	if len(w.out) < flushSize {
		return nil
	}
	return w.flush(ctx)
}
