package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Limits on one request, so a peer's garbage costs bounded memory:
// anything that cannot fit is refused before it is read. Redis's own
// limits are larger (512 MB a bulk, 1 GiB a client's query buffer); its
// inline limit is the same 64 KiB.
const (
	maxInline  = 64 << 10 // an inline command's line, without its "\r\n"
	maxBulk    = 4 << 20  // one argument of a multibulk request
	maxArgs    = 1 << 20  // arguments of one multibulk request
	maxRequest = 8 << 20  // a whole multibulk request
	// maxLengthLine bounds a "*<count>\r\n" or "$<length>\r\n" line: no
	// valid one is longer (an integer has at most 20 characters).
	maxLengthLine = 32
	// maxKeptArgs is how many argument slots a connection keeps between
	// requests; a larger request's are dropped once it has run.
	maxKeptArgs = 1024
)

// errProtocol is what every malformed request's error matches; the
// server answers "-ERR Protocol error: ..." and closes the connection, as
// Redis does (after a framing error nothing later in the stream can be
// trusted).
var errProtocol = errors.New("Protocol error") //lint:ignore ST1005 Redis's own words, which clients match

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// parser parses the request at the front of a connection's buffer, one
// read at a time: it keeps its place between calls, as Redis does, so a
// request that arrives in many pieces costs one pass over its bytes, not
// one pass per piece.
//
// A request is a multibulk array ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or,
// when it does not start with '*', an inline command: words separated by
// spaces, ended by "\n" or "\r\n" (what redis-benchmark's PING_INLINE and
// a telnet user send; quoting is not supported). An empty inline line,
// and a multibulk count of zero or less, parse to no arguments (Redis
// skips them).
//
// The result depends only on the bytes, never on how reads cut them: a
// decision made on part of a request is the one the whole would give.
type parser struct {
	// A multibulk request under way: count arguments announced; the ones
	// whose data is whole are spans; pos is where the parse goes on; bulk
	// is the length of the argument whose "$<length>" line is parsed and
	// whose data is awaited (-1: none). Positions are from the request's
	// start, so they survive the buffer being moved.
	started    bool
	count, pos int
	bulk       int
	spans      []span
	// scanned is how many bytes of an inline request hold no '\n'.
	scanned int
}

// span is an argument's place in its request.
type span struct{ off, n int32 }

// spanSize is a span's size in bytes, for accounting.
const spanSize = 8

// parse parses the request at the front of buf into args (reused: its
// elements alias buf) and returns how many bytes it took. n == 0 with a
// nil error means buf holds only part of a request: call again with the
// same bytes (moved, if need be, but not changed) and what came since.
// After a request is returned, or an error, the parser starts afresh.
func (p *parser) parse(buf []byte, args [][]byte) (_ [][]byte, n int, err error) {
	args = args[:0]
	if len(buf) == 0 {
		return args, 0, nil
	}
	if buf[0] != '*' {
		return p.parseInline(buf, args)
	}
	defer func() {
		if err != nil {
			p.reset()
		}
	}()
	if !p.started {
		count, next, err := parseLength(buf, 0, '*', "multibulk length")
		if next == 0 || err != nil {
			return args, 0, err
		}
		if count > maxArgs {
			return args, 0, protocolError("invalid multibulk length")
		}
		if count <= 0 {
			return args, next, nil
		}
		p.started, p.count, p.pos, p.bulk = true, int(count), next, -1
	}
	for len(p.spans) < p.count {
		if p.bulk < 0 {
			size, next, err := parseLength(buf, p.pos, '$', "bulk length")
			if next == 0 || err != nil {
				return args, 0, err
			}
			if size < 0 || size > maxBulk {
				return args, 0, protocolError("invalid bulk length")
			}
			if next+int(size)+2 > maxRequest {
				return args, 0, protocolError("request too big")
			}
			p.pos, p.bulk = next, int(size)
		}
		end := p.pos + p.bulk
		if end+2 > len(buf) {
			return args, 0, nil
		}
		if buf[end] != '\r' || buf[end+1] != '\n' {
			return args, 0, protocolError("expected CRLF after a bulk of %d bytes", p.bulk)
		}
		p.spans = append(p.spans, span{int32(p.pos), int32(p.bulk)})
		p.pos, p.bulk = end+2, -1
	}
	if cap(args) < len(p.spans) {
		args = make([][]byte, 0, len(p.spans))
	}
	for _, s := range p.spans {
		end := int(s.off + s.n)
		args = append(args, buf[s.off:end:end])
	}
	n = p.pos
	p.reset()
	return args, n, nil
}

// reset makes the parser ready for the next request, dropping a large
// request's spans.
func (p *parser) reset() {
	spans := p.spans[:0]
	if cap(spans) > maxKeptArgs {
		spans = nil
	}
	*p = parser{spans: spans}
}

// need returns how large the buffer must be, at least and at most, for
// the parse of a request of which buffered bytes are read to go on: lo
// is the bytes it needs before it can (the end of the awaited argument,
// or one more byte), hi is the most the request may still take.
func (p *parser) need(buf []byte) (lo, hi int) {
	switch {
	case len(buf) > 0 && buf[0] != '*':
		return len(buf) + 1, maxInline + 2
	case p.started && p.bulk >= 0:
		return p.pos + p.bulk + 2, maxRequest
	}
	return len(buf) + 1, maxRequest
}

// held returns the bytes the parser holds for the request under way
// beyond the spans every connection keeps.
func (p *parser) held() int {
	if cap(p.spans) <= maxKeptArgs {
		return 0
	}
	return cap(p.spans) * spanSize
}

// parseLength parses the line "<kind><integer>\r\n" at buf[pos:] and
// returns its integer and the position after it, or next == 0 when the
// line is not all there yet.
func parseLength(buf []byte, pos int, kind byte, what string) (v int64, next int, err error) {
	if pos >= len(buf) {
		return 0, 0, nil
	}
	if buf[pos] != kind {
		return 0, 0, protocolError("expected '%c', got '%c'", kind, buf[pos])
	}
	line := buf[pos:min(len(buf), pos+maxLengthLine)]
	eol := bytes.IndexByte(line, '\n')
	if eol < 0 {
		if len(line) == maxLengthLine { // the line is too long, whatever follows
			return 0, 0, protocolError("invalid %s", what)
		}
		return 0, 0, nil
	}
	if eol < 2 || line[eol-1] != '\r' {
		return 0, 0, protocolError("invalid %s", what)
	}
	v, ok := parseInt(line[1 : eol-1])
	if !ok {
		return 0, 0, protocolError("invalid %s", what)
	}
	return v, pos + eol + 1, nil
}

// parseInline splits the line at the front of buf into words.
func (p *parser) parseInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	i := bytes.IndexByte(buf[p.scanned:], '\n')
	if i < 0 {
		p.scanned = len(buf)
		text := len(buf) // the line's length, at least: a final '\r' may end it
		if buf[len(buf)-1] == '\r' {
			text--
		}
		if text > maxInline {
			p.reset()
			return args, 0, protocolError("too big inline request")
		}
		return args, 0, nil
	}
	eol := p.scanned + i
	p.reset()
	line := bytes.TrimSuffix(buf[:eol], []byte("\r"))
	if len(line) > maxInline {
		return args, 0, protocolError("too big inline request")
	}
	for len(line) > 0 { // the words, split in place (bytes.Fields would allocate)
		if line[0] == ' ' || line[0] == '\t' {
			line = line[1:]
			continue
		}
		end := bytes.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		args = append(args, line[:end:end])
		line = line[end:]
	}
	return args, eol + 1, nil
}

// parseInt parses a decimal integer as Redis does (its string2ll), for
// lengths in the protocol and for arguments and values alike: an
// optional '-', then digits with no leading zero ("0" alone is fine), at
// most 20 characters, within int64. No '+', no spaces, no "-0".
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	switch {
	case neg && v <= 1<<63:
		return int64(-v), true // -(1<<63) wraps to itself: MinInt64
	case !neg && v <= 1<<63-1:
		return int64(v), true
	}
	return 0, false
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

func appendBulkHeader(b []byte, n int) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b, v []byte) []byte {
	b = appendBulkHeader(b, len(v))
	b = append(b, v...)
	return append(b, '\r', '\n')
}

func appendNull(b []byte) []byte { return append(b, "$-1\r\n"...) }

func appendArrayHeader(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
