package main

import (
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantPath   string // "" with wantStatus 0: incomplete
		wantClose  bool
		wantLength int64
		wantStatus int
	}{
		{"get", "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "/a/b", false, 0, 0},
		{"escaped path", "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n", "/a b", false, 0, 0},
		{"cleaned", "GET //a/./b/ HTTP/1.1\r\nHost: h\r\n\r\n", "/a/b", false, 0, 0},
		{"1.1 close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "/", true, 0, 0},
		{"1.0 closes", "GET / HTTP/1.0\r\n\r\n", "/", true, 0, 0},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", "/", false, 0, 0},
		{"body length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", "/", false, 12, 0},
		{"incomplete", "GET / HTTP/1.1\r\nHost: h\r\n", "", false, 0, 0},
		{"dot dot", "GET /a/../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"escaped dot dot", "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"backslash", "GET /a%5c..%5cb HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"nul", "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"absolute form", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"no host", "GET / HTTP/1.1\r\n\r\n", "", false, 0, 400},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "", false, 0, 400},
		{"garbage", "\x00\x01\x02 garbage\r\n\r\n", "", false, 0, 400},
		{"no version", "GET /\r\n\r\n", "", false, 0, 400},
		{"http 2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", "", false, 0, 505},
		{"http 0.9 style", "GET / HTTP/0.9\r\n\r\n", "", false, 0, 505},
		{"folded header", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", "", false, 0, 400},
		{"header without colon", "GET / HTTP/1.1\r\nHost: h\r\nnope\r\n\r\n", "", false, 0, 400},
		{"bad length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", "", false, 0, 400},
		{"conflicting lengths", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "", false, 0, 400},
		// RFC 9112 section 2.2, 5, 6.3: the smuggling shapes, and the rules
		// the parser keeps.
		{"same length twice", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", "", false, 0, 400},
		{"bare LF hides no header", "GET / HTTP/1.1\r\nHost: x\nContent-Length: 29\r\n\r\n", "/", false, 29, 0},
		{"bare LF only", "GET / HTTP/1.1\nHost: x\n\n", "/", false, 0, 0},
		{"bare LF, then CRLF", "GET / HTTP/1.1\nHost: x\r\n\n", "/", false, 0, 0},
		{"bare LF, incomplete", "GET / HTTP/1.1\nHost: x\n", "", false, 0, 0},
		{"plus in length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", "", false, 0, 400},
		{"minus zero length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -0\r\n\r\n", "", false, 0, 400},
		{"length list", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", "", false, 0, 400},
		{"length with a space inside", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 0\r\n\r\n", "", false, 0, 400},
		{"empty length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", "", false, 0, 400},
		{"hex length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", "", false, 0, 400},
		{"length with spaces around", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \t 7 \r\n\r\n", "/", false, 7, 0},
		{"leading zeros", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n", "/", false, 7, 0},
		{"huge length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", "", false, 0, 413},
		{"bare CR in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", "", false, 0, 400},
		{"bare CR ends a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n", "", false, 0, 400},
		{"NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", "", false, 0, 400},
		{"bare CR hides a length", "GET / HTTP/1.1\r\nHost: h\rContent-Length: 5\r\n\r\n", "", false, 0, 400},
		{"CR in the request line", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"folded first header", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", "", false, 0, 400},
		{"folded length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 5\r\n\r\n", "", false, 0, 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\n", "", false, 0, 400},
		{"bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "", false, 0, 400},
		{"two hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", "", false, 0, 400},
		{"double space in the request line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"control byte in the target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"empty request line", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"version with junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", "", false, 0, 400},
		{"body too long", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", "", false, 0, 413},
		{"chunked body", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "", false, 0, 501},
		{"head too long", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", maxHead) + "\r\n\r\n", "", false, 0, 431},
		{"head too long, unfinished", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHead), "", false, 0, 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, n, err := parseRequest([]byte(tt.in))
			if tt.wantStatus != 0 {
				if err == nil || err.status != tt.wantStatus {
					t.Fatalf("error %v; want status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPath == "" {
				if n != 0 {
					t.Fatalf("parsed %d bytes of an incomplete head", n)
				}
				return
			}
			if n != len(tt.in) || req.path != tt.wantPath || req.close != tt.wantClose || req.contentLength != tt.wantLength {
				t.Fatalf("n %d path %q close %v length %d; want %d %q %v %d",
					n, req.path, req.close, req.contentLength, len(tt.in), tt.wantPath, tt.wantClose, tt.wantLength)
			}
		})
	}
}

// The hello page's request parses without allocating (the server parses
// every request; files may allocate their path).
func TestParseHelloAllocatesNothing(t *testing.T) {
	b := []byte("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: wrk\r\n\r\n")
	if allocs := testing.AllocsPerRun(100, func() { parseRequest(b) }); allocs != 0 {
		t.Errorf("%v allocations a parse; want 0", allocs)
	}
}
