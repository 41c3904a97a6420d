package main

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Limits on one request. A head that does not fit in maxHead bytes is
// refused (431) before more is read; a body is never buffered: up to
// maxBody bytes of one are read and dropped, a longer one is refused
// (413).
const (
	maxHead = 8 << 10 // nginx's default for a request's head
	maxBody = 1 << 20
)

// request is a parsed request head. Its slices alias the connection's
// buffer: valid until the next read.
type request struct {
	method, target []byte
	path           string // the cleaned, unescaped path: starts with "/", has no ".." element
	minor          int    // HTTP/1.minor
	contentLength  int64
	close          bool // the connection ends after the response
}

// statusError is a request the server refuses with status; the
// connection closes after the reply (what follows cannot be trusted).
type statusError struct {
	status int
	reason string
}

func (e *statusError) Error() string { return fmt.Sprintf("http: %d %s", e.status, e.reason) }

func refuse(status int, format string, args ...any) *statusError {
	return &statusError{status: status, reason: fmt.Sprintf(format, args...)}
}

var crlfcrlf = []byte("\r\n\r\n")

// parseRequest parses the request head at the front of buf and returns
// how many bytes it took; n == 0 with a nil error means the head is not
// all there yet. Errors are *statusError.
func parseRequest(buf []byte) (req request, n int, err *statusError) {
	end := bytes.Index(buf[:min(len(buf), maxHead)], crlfcrlf)
	if end < 0 {
		if len(buf) >= maxHead {
			return req, 0, refuse(431, "request head longer than %d bytes", maxHead)
		}
		return req, 0, nil
	}
	head := buf[:end+2] // every line, each ended by CRLF
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if err := req.parseRequestLine(line); err != nil {
		return req, 0, err
	}
	if err := req.parseHeaders(rest); err != nil {
		return req, 0, err
	}
	return req, end + 4, nil
}

// parseRequestLine parses "METHOD target HTTP/1.x".
func (req *request) parseRequestLine(line []byte) *statusError {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || !isToken(method) {
		return refuse(400, "malformed request line")
	}
	switch string(proto) {
	case "HTTP/1.1":
		req.minor = 1
	case "HTTP/1.0":
		req.minor = 0
		req.close = true // unless it asks for keep-alive
	default:
		if !bytes.HasPrefix(proto, []byte("HTTP/")) {
			return refuse(400, "malformed request line")
		}
		return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served")
	}
	req.method, req.target = method, target
	p, err := cleanPath(target)
	if err != nil {
		return err
	}
	req.path = p
	return nil
}

// cleanPath turns an origin-form target ("/a/b?q") into a path that
// cannot leave the served directory: unescaped, with no "..", NUL or
// backslash, and cleaned. A target that tries to climb out is refused
// rather than quietly cleaned to something else.
func cleanPath(target []byte) (string, *statusError) {
	raw, _, _ := bytes.Cut(target, []byte("?"))
	if len(raw) == 0 || raw[0] != '/' {
		return "", refuse(400, "the target must be a path starting with /")
	}
	if len(raw) == 1 {
		return "/", nil // the hello page, without a string to allocate
	}
	p, err := url.PathUnescape(string(raw))
	if err != nil {
		return "", refuse(400, "bad escape in the path")
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", refuse(400, "NUL or backslash in the path")
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return "", refuse(400, "'..' in the path")
		}
	}
	return path.Clean(p), nil
}

// parseHeaders reads the header fields the server acts on.
func (req *request) parseHeaders(lines []byte) *statusError {
	hosts, lengths := 0, 0
	for len(lines) > 0 {
		var line []byte
		line, lines, _ = bytes.Cut(lines, []byte("\r\n"))
		if len(line) == 0 {
			return refuse(400, "malformed header line")
		}
		if line[0] == ' ' || line[0] == '\t' {
			return refuse(400, "obsolete line folding")
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || !isToken(name) {
			return refuse(400, "malformed header line")
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (lengths > 0 && n != req.contentLength) {
				return refuse(400, "bad Content-Length")
			}
			lengths++
			req.contentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return refuse(501, "request bodies with Transfer-Encoding are not supported")
		case bytes.EqualFold(name, []byte("Connection")):
			for _, opt := range bytes.Split(value, []byte(",")) {
				switch opt = bytes.TrimSpace(opt); {
				case bytes.EqualFold(opt, []byte("close")):
					req.close = true
				case bytes.EqualFold(opt, []byte("keep-alive")) && req.minor == 0:
					req.close = false
				}
			}
		}
	}
	if req.minor == 1 && hosts != 1 {
		return refuse(400, "HTTP/1.1 needs exactly one Host header")
	}
	if req.contentLength > maxBody {
		return refuse(413, "request body longer than %d bytes", maxBody)
	}
	return nil
}

// isToken reports whether b is an RFC 9110 token (a method or a field
// name).
func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
