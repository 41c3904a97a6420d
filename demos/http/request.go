package main

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
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
//
// The head is read as RFC 9112 says, strictly:
//
//   - Lines end with CRLF, or with a bare LF, which RFC 9112 (section
//     2.2) lets a recipient accept: a line ends at LF, and one CR right
//     before it is dropped. The rule is applied to whole lines only, as
//     net/http does: "Host: x\nContent-Length: 5" is two header lines,
//     never one Host value that hides a Content-Length. Any other CR, and
//     any other control character (NUL included), in the request line or
//     a header line is refused (400).
//   - The head ends at the first empty line, within maxHead bytes (431
//     otherwise).
//   - The request line is "METHOD SP origin-form-target SP HTTP/1.x",
//     single spaces; the target is visible ASCII only.
//   - A header line is "name: value": the name a token, no space before
//     the colon; the value trimmed of spaces and tabs, then visible
//     ASCII, spaces, tabs and bytes from 0x80 only. A line that starts
//     with a space or tab (obs-fold) is refused.
//   - Content-Length is 1*DIGIT (no sign, no list), at most once: a
//     second one, even with the same value, is refused (400).
//     Transfer-Encoding is refused (501), so the framing of a request is
//     its Content-Length alone.
//   - HTTP/1.1 needs exactly one Host, HTTP/1.0 at most one, and its
//     value must be made of the characters a host and port can have.
func parseRequest(buf []byte) (req request, n int, err *statusError) {
	window := buf[:min(len(buf), maxHead)]
	// The request line, then the header lines up to the empty one.
	i := bytes.IndexByte(window, '\n')
	if i < 0 {
		return req, 0, headNotYet(buf)
	}
	line := trimCR(window[:i])
	headers := i + 1
	if err := req.parseRequestLine(line); err != nil {
		return req, 0, err
	}
	for p := headers; ; {
		i := bytes.IndexByte(window[p:], '\n')
		if i < 0 {
			return request{}, 0, headNotYet(buf)
		}
		line := trimCR(window[p : p+i])
		p += i + 1
		if len(line) == 0 {
			n = p
			break
		}
	}
	if err := req.parseHeaders(window[headers:n]); err != nil {
		return req, 0, err
	}
	return req, n, nil
}

// headNotYet is what parseRequest says when buf holds no complete head:
// wait for more, unless maxHead bytes came without one.
func headNotYet(buf []byte) *statusError {
	if len(buf) >= maxHead {
		return refuse(431, "request head longer than %d bytes", maxHead)
	}
	return nil
}

// trimCR drops one CR at the end of a line (CRLF line endings).
func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// parseRequestLine parses "METHOD target HTTP/1.x".
func (req *request) parseRequestLine(line []byte) *statusError {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || !isToken(method) {
		return refuse(400, "malformed request line")
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f {
			return refuse(400, "a control, space or non-ASCII byte in the target")
		}
	}
	switch string(proto) {
	case "HTTP/1.1":
		req.minor = 1
	case "HTTP/1.0":
		req.minor = 0
		req.close = true // unless it asks for keep-alive
	default:
		// HTTP/d.d is a version we do not serve; anything else is not
		// a request line.
		if len(proto) != len("HTTP/1.1") || !bytes.HasPrefix(proto, []byte("HTTP/")) ||
			!isDigit(proto[5]) || proto[6] != '.' || !isDigit(proto[7]) {
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

// parseHeaders checks every header line (each ended by LF or CRLF) and
// reads the fields the server acts on.
func (req *request) parseHeaders(lines []byte) *statusError {
	hosts, lengths := 0, 0
	for len(lines) > 0 {
		var line []byte
		line, lines, _ = bytes.Cut(lines, []byte("\n"))
		line = trimCR(line)
		if len(line) == 0 {
			continue // the empty line that ends the head
		}
		if line[0] == ' ' || line[0] == '\t' || (len(lines) > 0 && (lines[0] == ' ' || lines[0] == '\t')) {
			return refuse(400, "obsolete line folding") // this line, or the next, is folded
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || !isToken(name) {
			return refuse(400, "malformed header line")
		}
		value = trimOWS(value)
		for _, c := range value {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return refuse(400, "a control character (CR, NUL, ...) in a header value")
			}
		}
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
			for _, c := range value {
				if !validHostByte[c] {
					return refuse(400, "malformed Host header")
				}
			}
		case bytes.EqualFold(name, []byte("Content-Length")):
			if lengths++; lengths > 1 {
				return refuse(400, "duplicate Content-Length")
			}
			n, ok := parseLength(value)
			if !ok {
				return refuse(400, "bad Content-Length")
			}
			req.contentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return refuse(501, "request bodies with Transfer-Encoding are not supported")
		case bytes.EqualFold(name, []byte("Connection")):
			for _, opt := range bytes.Split(value, []byte(",")) {
				switch opt = trimOWS(opt); {
				case bytes.EqualFold(opt, []byte("close")):
					req.close = true
				case bytes.EqualFold(opt, []byte("keep-alive")) && req.minor == 0:
					req.close = false
				}
			}
		}
	}
	if hosts > 1 || (req.minor == 1 && hosts != 1) {
		return refuse(400, "HTTP/1.1 needs exactly one Host header, HTTP/1.0 at most one")
	}
	if req.contentLength > maxBody {
		return refuse(413, "request body longer than %d bytes", maxBody)
	}
	return nil
}

// parseLength parses a Content-Length value: 1*DIGIT, nothing else (no
// sign, no spaces, no list). A value over maxBody comes back as
// maxBody+1: it is refused anyway.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = min(n*10+int64(c-'0'), maxBody+1)
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// trimOWS trims the optional white space of RFC 9110 (spaces and tabs).
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// validHostByte are the bytes a Host value may hold: those of a
// uri-host and a port (RFC 3986), as net/http's server allows.
var validHostByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!$%&()*+,-.:;=[']_~") {
		t[c] = true
	}
	return t
}()

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
