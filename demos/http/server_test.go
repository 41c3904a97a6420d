package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/demos/internal/demotest"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// siteDir makes a root with a page, a subdirectory with an index, a
// large file, and a symbolic link out of the root; next to the root, a
// secret that must never be served.
func siteDir(t *testing.T) string {
	t.Helper()
	// Not t.TempDir: under Wine, deleting the 8 MiB file after it was
	// served fails with "Invalid function" (seen here, after the server
	// had stopped; on Linux the same test leaves nothing open), which
	// t.TempDir reports as a test failure.
	dir, err := os.MkdirTemp("", "http-demo-site")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	root := filepath.Join(dir, "root")
	files := map[string]string{
		"secret.txt":              "do not serve",
		"root/page.html":          "<p>page</p>",
		"root/docs/index.html":    "<p>docs</p>",
		"root/big.bin":            strings.Repeat("0123456789abcdef", 1<<19), // 8 MiB
		"root/notes/plain.weird0": "x",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Logf("no symbolic link out of the root here (%v): /link.txt is simply missing", err)
	}
	return root
}

func startServer(t *testing.T, cfg config) string {
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:0"
	}
	if cfg.loops == 0 {
		cfg.loops = 1
	}
	return demotest.Start(t, func(ready chan<- net.Addr, stop <-chan struct{}) error {
		return serveLoops(cfg, ready, stop)
	})
}

// Go's own client: pages, files, HEAD, errors, and keep-alive (the
// second request reuses the first one's connection).
func TestNetHTTPClient(t *testing.T) {
	addr := startServer(t, config{root: siteDir(t)})
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	tests := []struct {
		method, path string
		status       int
		ctype, body  string
	}{
		{"GET", "/", 200, "text/plain; charset=utf-8", hello},
		{"GET", "/page.html", 200, "text/html; charset=utf-8", "<p>page</p>"},
		{"GET", "/docs/", 200, "text/html; charset=utf-8", "<p>docs</p>"},
		{"GET", "/docs", 200, "text/html; charset=utf-8", "<p>docs</p>"},
		{"GET", "/notes/plain.weird0", 200, "application/octet-stream", "x"},
		{"HEAD", "/page.html", 200, "text/html; charset=utf-8", ""},
		{"GET", "/missing", 404, "text/plain; charset=utf-8", "404 Not Found: no such file /missing\n"},
		{"GET", "/notes", 404, "text/plain; charset=utf-8", "404 Not Found: no such file /notes\n"}, // no listings
		{"GET", "/link.txt", 404, "text/plain; charset=utf-8", "404 Not Found: no such file /link.txt\n"},
		{"POST", "/", 405, "text/plain; charset=utf-8", "only GET and HEAD are served\n"},
	}
	for i, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			reused := false
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
			})
			req, _ := http.NewRequestWithContext(ctx, tt.method, "http://"+addr+tt.path, strings.NewReader(""))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tt.status || string(body) != tt.body || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("%d %q %q, %v; want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, err, tt.status, tt.ctype, tt.body)
			}
			if i > 0 && !reused {
				t.Errorf("a new connection; want the kept-alive one")
			}
		})
	}
	t.Run("large file", func(t *testing.T) {
		resp, err := client.Get("http://" + addr + "/big.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || len(body) != 8<<20 || string(body[:16]) != "0123456789abcdef" {
			t.Errorf("%d bytes, %v; want 8 MiB", len(body), err)
		}
	})
}

// roundTrip sends raw bytes on a new connection and returns everything
// the server sent until it closed the connection.
func roundTrip(t *testing.T, addr, send string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write([]byte(send)) // a large send fails once the server closes: fine
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the answer: %v", err)
	}
	return string(got)
}

// Bad input gets its status, and the connection is closed.
func TestBadInputIsAnsweredAndClosed(t *testing.T) {
	addr := startServer(t, config{})
	tests := []struct {
		name, send, status string
	}{
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", "400 Bad Request"},
		{"10 MiB line", strings.Repeat("A", 10<<20), "431 Request Header Fields Too Large"},
		{"huge header", "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + strings.Repeat("c", 10<<20), "431 Request Header Fields Too Large"},
		{"no host", "GET / HTTP/1.1\r\n\r\n", "400 Bad Request"},
		{"traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", "400 Bad Request"},
		{"escaped traversal", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", "400 Bad Request"},
		{"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n", "413 Request Entity Too Large"},
		{"chunked body", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "501 Not Implemented"},
		{"http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505 HTTP Version Not Supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, addr, tt.send)
			if !strings.HasPrefix(got, "HTTP/1.1 "+tt.status+"\r\n") || !strings.Contains(got, "Connection: close\r\n") {
				t.Errorf("answer %.200q; want %s and Connection: close", got, tt.status)
			}
		})
	}
}

// Keep-alive and pipelining on one raw connection: a body is skipped, the
// answers come in order, and "Connection: close" ends it.
func TestPipelinedRequests(t *testing.T) {
	addr := startServer(t, config{})
	got := roundTrip(t, addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"+
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"+
		"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"+
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"+
		"GET /never HTTP/1.1\r\nHost: h\r\n\r\n")
	r := bufio.NewReader(strings.NewReader(got))
	for i, wantBody := range []string{hello, hello, "", hello} {
		resp, err := http.ReadResponse(r, &http.Request{Method: [4]string{"GET", "GET", "HEAD", "GET"}[i]})
		if err != nil {
			t.Fatalf("answer %d: %v in %q", i, err, got)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != wantBody {
			t.Errorf("answer %d: %d %q; want 200 %q", i, resp.StatusCode, body, wantBody)
		}
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("after Connection: close the server sent %q", rest)
	}
}

// memSession runs serveConn on one end of a memory pair (counting) with
// the mock clock, autojumping, and body on the other; it returns
// serveConn's error.
func memSession(t *testing.T, srv *server, body func(ctx context.Context, peer streams.Stream, count *demotest.CountingStream)) error {
	t.Helper()
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	var served error
	err := task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(64 << 10)
		count := &demotest.CountingStream{Stream: a}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				served = srv.serveConn(ctx, count)
				return nil
			})
			defer b.Close()
			body(ctx, b, count)
			return nil
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return served
}

// A pipeline that arrives in one piece is answered with one write.
func TestPipelineIsOneWrite(t *testing.T) {
	memSession(t, &server{idle: time.Minute}, func(ctx context.Context, peer streams.Stream, count *demotest.CountingStream) {
		req := strings.Repeat("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 10)
		if _, err := peer.Write(ctx, []byte(req)); err != nil {
			t.Error(err)
			return
		}
		r := streams.NewBufferedReader(peer, 4096)
		for i := range 10 {
			if resp, err := readResponse(ctx, r); err != nil || string(resp.body) != hello {
				t.Errorf("answer %d: %v, %v", i, resp, err)
				return
			}
		}
		if count.Reads != 1 || count.Writes != 1 {
			t.Errorf("10 pipelined requests: %d reads, %d writes; want 1 and 1", count.Reads, count.Writes)
		}
	})
}

// The clock is read once per batch for the Date header: the answers to a
// pipeline share one, and a request that comes later gets a later one.
func TestDatePerBatch(t *testing.T) {
	memSession(t, &server{idle: time.Minute}, func(ctx context.Context, peer streams.Stream, count *demotest.CountingStream) {
		r := streams.NewBufferedReader(peer, 4096)
		var dates []string
		for _, batch := range []int{2, 1} {
			if _, err := peer.Write(ctx, []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: h\r\n\r\n", batch))); err != nil {
				t.Error(err)
				return
			}
			for range batch {
				resp, err := readResponse(ctx, r)
				if err != nil {
					t.Error(err)
					return
				}
				dates = append(dates, resp.header["date"])
			}
			task.Sleep(ctx, 2*time.Second)
		}
		want := []string{"Thu, 01 Jan 2026 00:00:00 GMT", "Thu, 01 Jan 2026 00:00:00 GMT", "Thu, 01 Jan 2026 00:00:02 GMT"}
		if !slices.Equal(dates, want) {
			t.Errorf("dates %q; want %q", dates, want)
		}
	})
}

// A client that sends half a head and stops (slowloris) is closed when
// the idle timeout passes, exactly then, having cost one read and one
// wait; an idle kept-alive connection too.
func TestIdleTimeoutCloses(t *testing.T) {
	for _, tt := range []struct {
		name, send string
		trickle    bool // a byte every 10 s
		reads      int
	}{
		{"half-sent head", "GET / HTTP/1.1\r\nHost: ", false, 2},
		{"idle after a request", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", false, 2},
		// Bytes at 0, 10 and 20 s, each a read; the deadline set before
		// the first does not move, and the fourth byte never goes out.
		{"head trickled in", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const idle = 30 * time.Second
			var closedAfter time.Duration
			served := memSession(t, &server{idle: idle}, func(ctx context.Context, peer streams.Stream, count *demotest.CountingStream) {
				start := task.Now(ctx)
				task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					n.Go(func(ctx context.Context) error {
						if !tt.trickle {
							peer.Write(ctx, []byte(tt.send))
							return nil
						}
						for i := range len(tt.send) {
							if err := task.Sleep(ctx, time.Duration(min(i, 1))*10*time.Second); err != nil {
								return err
							}
							if _, err := peer.Write(ctx, []byte{tt.send[i]}); err != nil {
								return nil // the server closed the connection
							}
						}
						return nil
					})
					buf := make([]byte, 4096)
					for {
						if _, err := peer.Read(ctx, buf); err != nil {
							break
						}
					}
					closedAfter = task.Now(ctx).Sub(start)
					return nil
				})
				if count.Reads != tt.reads {
					t.Errorf("%d reads; want %d: the bytes, then one wait the deadline ends (no spinning)", count.Reads, tt.reads)
				}
			})
			if closedAfter != idle || !errors.Is(served, errIdle) {
				t.Errorf("closed after %v with %v; want %v and errIdle", closedAfter, served, idle)
			}
		})
	}
}

// Bad input read from memory: the server reads at most the head limit
// plus one buffer of a head that never ends.
func TestEndlessHeadIsReadBounded(t *testing.T) {
	memSession(t, &server{idle: time.Minute}, func(ctx context.Context, peer streams.Stream, count *demotest.CountingStream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				peer.Write(ctx, []byte(strings.Repeat("x", 10<<20))) // fails once the server closes
				return nil
			})
			buf := make([]byte, 4096)
			var got []byte
			for {
				k, err := peer.Read(ctx, buf)
				got = append(got, buf[:k]...)
				if err != nil {
					break
				}
			}
			if !strings.HasPrefix(string(got), "HTTP/1.1 431 ") {
				t.Errorf("answer %.100q; want 431", got)
			}
			return nil
		})
		if count.ReadBytes > maxHead+readSize {
			t.Errorf("read %d bytes of an endless head; want at most %d", count.ReadBytes, maxHead+readSize)
		}
	})
}

// A client that resets the connection in the middle of a large file
// ends only its own connection.
func TestClientLeavesMidFile(t *testing.T) {
	addr := startServer(t, config{root: siteDir(t)})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n")
	if _, err := io.ReadFull(c, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	got := roundTrip(t, addr, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if !strings.HasSuffix(got, hello) {
		t.Errorf("after a client left mid-file: %q", got)
	}
}

// The demo's own run on two loops.
func TestDemoReports(t *testing.T) {
	demotest.NeedReusePort(t)
	var out strings.Builder
	if err := demo(config{addr: "127.0.0.1:0", loops: 2, conns: 8, total: 800}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "800 keep-alive GETs over 8 connections") {
		t.Fatalf("report:\n%s", out.String())
	}
}
