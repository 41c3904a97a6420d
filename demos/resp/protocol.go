package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Limits on one request, so a peer's garbage costs bounded memory: the
// connection's buffer never grows past maxRequest, and anything that
// cannot fit is refused before it is read (Redis's own limits are larger;
// its inline limit is the same 64 KiB).
const (
	maxInline  = 64 << 10 // an inline command's line
	maxBulk    = 4 << 20  // one argument of a multibulk request
	maxArgs    = 1 << 20  // arguments of one multibulk request
	maxRequest = 8 << 20  // the whole request, buffered
)

// errProtocol is what every malformed request's error matches; the
// server answers "-ERR Protocol error: ..." and closes the connection, as
// Redis does (after a framing error nothing later in the stream can be
// trusted).
var errProtocol = errors.New("Protocol error") //lint:ignore ST1005 Redis's own words, which clients match

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// parseRequest parses the request at the front of buf into args (reused:
// its elements alias buf) and returns how many bytes it took. n == 0 with
// a nil error means buf holds only part of a request: read more and parse
// again from the start (the parse is O(arguments), not O(bytes), so
// re-parsing a large value that arrives in pieces is cheap).
//
// A request is a multibulk array ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or,
// when it does not start with '*', an inline command: words separated by
// spaces, ended by "\n" or "\r\n" (what redis-benchmark's PING_INLINE and
// a telnet user send; quoting is not supported). An empty inline line
// parses to no arguments.
func parseRequest(buf []byte, args [][]byte) (_ [][]byte, n int, err error) {
	args = args[:0]
	if len(buf) == 0 {
		return args, 0, nil
	}
	if buf[0] != '*' {
		return parseInline(buf, args)
	}
	count, pos, err := parseLength(buf, 0, '*', maxArgs, "multibulk length")
	if pos == 0 || err != nil {
		return args, 0, err
	}
	for range count {
		size, pos2, err := parseLength(buf, pos, '$', maxBulk, "bulk length")
		if pos2 == 0 || err != nil {
			return args, 0, err
		}
		end := pos2 + size
		if end+2 > len(buf) {
			return args, 0, nil
		}
		if buf[end] != '\r' || buf[end+1] != '\n' {
			return args, 0, protocolError("expected CRLF after a bulk of %d bytes", size)
		}
		args = append(args, buf[pos2:end])
		pos = end + 2
	}
	return args, pos, nil
}

// parseLength parses "<kind><decimal>\r\n" at buf[pos:]: a count or a
// length, at most max. It returns the position after the line, or 0 when
// the line is not all there yet.
func parseLength(buf []byte, pos int, kind byte, max int, what string) (v, next int, err error) {
	if pos >= len(buf) {
		return 0, 0, nil
	}
	if buf[pos] != kind {
		return 0, 0, protocolError("expected '%c', got '%c'", kind, buf[pos])
	}
	eol := bytes.IndexByte(buf[pos:], '\n')
	if eol < 0 {
		if len(buf)-pos > 32 { // no length is this long
			return 0, 0, protocolError("invalid %s", what)
		}
		return 0, 0, nil
	}
	line := buf[pos+1 : pos+eol]
	if len(line) == 0 || line[len(line)-1] != '\r' {
		return 0, 0, protocolError("invalid %s", what)
	}
	v, err = strconv.Atoi(string(line[:len(line)-1]))
	if err != nil || v < 0 || v > max {
		return 0, 0, protocolError("invalid %s", what)
	}
	return v, pos + eol + 1, nil
}

// parseInline splits the line at the front of buf into words.
func parseInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	eol := bytes.IndexByte(buf, '\n')
	if eol < 0 {
		if len(buf) >= maxInline { // the line, with its newline, cannot fit
			return args, 0, protocolError("too big inline request")
		}
		return args, 0, nil
	}
	if eol > maxInline {
		return args, 0, protocolError("too big inline request")
	}
	line := bytes.TrimSuffix(buf[:eol], []byte("\r"))
	for len(line) > 0 { // the words, split in place (bytes.Fields would allocate)
		if line[0] == ' ' || line[0] == '\t' {
			line = line[1:]
			continue
		}
		end := bytes.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		args = append(args, line[:end])
		line = line[end:]
	}
	return args, eol + 1, nil
}

// The reply encoders append one RESP2 value to b.

func appendSimple(b []byte, s string) []byte {
	b = append(b, '+')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendError(b []byte, msg string) []byte {
	b = append(b, '-')
	b = append(b, msg...)
	return append(b, '\r', '\n')
}

func appendInt(b []byte, n int64) []byte {
	b = append(b, ':')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

func appendBulk(b, v []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, '\r', '\n')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

func appendNull(b []byte) []byte { return append(b, "$-1\r\n"...) }

func appendArrayHeader(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
