package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// framing is what decides where a request ends and the next begins: the
// parts the differential test compares.
type framing struct {
	method, target string
	head           int   // bytes of the head
	length         int64 // Content-Length: the body's bytes
}

// netHTTPFraming parses data as net/http's server does: http.ReadRequest
// on a bufio.Reader, then the server's own checks on the head (Host
// required by HTTP/1.1, valid field names and values).
func netHTTPFraming(data []byte) (framing, error) {
	src := bytes.NewReader(data)
	br := bufio.NewReaderSize(src, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return framing{}, err
	}
	// ReadRequest drops the Host header, which the server's checks look
	// at: read the head's fields again, as readRequest does.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	tp.ReadLine()
	header, err := tp.ReadMIMEHeader()
	if err != nil {
		return framing{}, err
	}
	hosts := header["Host"]
	switch {
	case req.ProtoAtLeast(1, 1) && len(hosts) == 0 && req.Method != "CONNECT":
		return framing{}, errors.New("missing required Host header")
	case len(hosts) == 1 && !validHost(hosts[0]):
		return framing{}, errors.New("malformed Host header")
	}
	for k, vv := range header {
		if !isToken([]byte(k)) {
			return framing{}, errors.New("invalid header name")
		}
		for _, v := range vv {
			for _, c := range []byte(v) {
				if (c < ' ' && c != '\t') || c == 0x7f {
					return framing{}, errors.New("invalid header value")
				}
			}
		}
	}
	return framing{
		method: req.Method,
		target: req.RequestURI,
		head:   len(data) - br.Buffered() - src.Len(),
		length: req.ContentLength,
	}, nil
}

func validHost(h string) bool {
	for _, c := range []byte(h) {
		if !validHostByte[c] {
			return false
		}
	}
	return true
}

// stricter are the refusals of ours that net/http's server does not
// make: where it accepts and we refuse, the reason must be one of these
// (refusing is safe: the connection closes after the answer). Where we
// accept, net/http must accept with the same framing.
var stricter = []string{
	"duplicate Content-Length",                         // net/http accepts repeats of one value
	"obsolete line folding",                            // net/http unfolds
	"request bodies with Transfer-Encoding",            // not served (501); net/http reads chunked
	"only HTTP/1.0 and HTTP/1.1",                       // net/http parses any HTTP/d.d
	"request head longer than",                         // 8 KiB; net/http's server allows 1 MiB
	"request body longer than",                         // 1 MiB
	"the target must be a path",                        // origin-form only; net/http takes "*" and absolute URIs
	"'..' in the path",                                 // the file server's rules
	"NUL or backslash in the path",                     //
	"bad escape in the path",                           // net/http keeps some (in the query, say)
	"a control, space or non-ASCII byte in the target", // net/http takes bytes from 0x80
}

func isStricter(reason string) bool {
	for _, s := range stricter {
		if strings.HasPrefix(reason, s) {
			return true
		}
	}
	return false
}

// checkFraming compares our parser with net/http's on data.
func checkFraming(t *testing.T, data []byte) {
	req, n, perr := parseRequest(data)
	ref, rerr := netHTTPFraming(data)
	switch {
	case perr == nil && n == 0: // we wait for more
		if rerr == nil {
			t.Fatalf("%q: we wait for more of the head; net/http read a request of %+v", data, ref)
		}
	case perr != nil: // we refuse
		if rerr == nil && !isStricter(perr.reason) {
			t.Fatalf("%q: we refuse (%v); net/http reads %+v", data, perr, ref)
		}
	default: // we accept
		if rerr != nil {
			t.Fatalf("%q: we read a request (head %d bytes, length %d); net/http refuses: %v", data, n, req.contentLength, rerr)
		}
		ours := framing{method: string(req.method), target: string(req.target), head: n, length: req.contentLength}
		if ours != ref {
			t.Fatalf("%q: we read %+v; net/http reads %+v", data, ours, ref)
		}
	}
}

// smuggling are the request shapes that split a connection's bytes
// differently from one parser to the next; the seed corpus.
var smuggling = []string{
	"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\nContent-Length: 29\r\n\r\nGET /s1 HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\n\n",
	"GET / HTTP/1.1\nHost: x\r\n\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nX: y\r\n Content-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\rContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n1234567",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \t5 \r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\n\r\n",
	"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
	"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
	"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\n\r",
	"GET / HTTP/1.1\r\nHost: h\r\n",
	"GET / HTTP/1.1\r\nHost: h\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\n\n",
	"GET /%2e%2e/x HTTP/1.1\r\nHost: h\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
}

// The seed corpus, in the normal test run: the smuggling shapes give the
// same framing as net/http's, or we refuse them for a stated reason.
func TestFramingMatchesNetHTTP(t *testing.T) {
	for _, s := range smuggling {
		checkFraming(t, []byte(s))
	}
}

// FuzzFraming is the differential fuzz test: whatever the bytes, we
// frame a request as net/http does, or refuse it.
//
//	go test -run XXX -fuzz FuzzFraming -fuzztime 2m ./demos/http
func FuzzFraming(f *testing.F) {
	for _, s := range smuggling {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFraming(t, data)
	})
}

// The smuggling shapes on a connection: a bare LF in a header line hides
// no Content-Length (its body is skipped, not served as a second
// request), a bare-LF-only request is answered, and the refused shapes
// get 400 and the connection closed.
func TestSmugglingShapesOnAConnection(t *testing.T) {
	addr := startServer(t, config{})
	tests := []struct {
		name, send string
		statuses   []int
	}{
		{"bare LF hides no length", "GET / HTTP/1.1\r\nHost: x\nContent-Length: 29\r\n\r\nGET /s1 HTTP/1.1\r\nHost: x\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []int{200, 200}},
		{"bare LF only", "GET / HTTP/1.1\nHost: x\n\nGET / HTTP/1.1\nHost: x\nConnection: close\n\n", []int{200, 200}},
		{"plus in length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", []int{400}},
		{"two lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", []int{400}},
		{"bare CR", "GET / HTTP/1.1\r\nHost: h\rContent-Length: 5\r\n\r\nhello", []int{400}},
		{"NUL", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", []int{400}},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", []int{400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, addr, tt.send)
			r := bufio.NewReader(strings.NewReader(got))
			for i, want := range tt.statuses {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatalf("answer %d: %v in %q", i, err, got)
				}
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode != want {
					t.Errorf("answer %d: %d; want %d (all: %q)", i, resp.StatusCode, want, got)
				}
			}
			if rest, _ := io.ReadAll(r); len(rest) != 0 {
				t.Errorf("after %d answers the server sent %q", len(tt.statuses), rest)
			}
		})
	}
}
