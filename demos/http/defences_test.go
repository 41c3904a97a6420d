package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// An HTTP/1.0 client that asks for keep-alive (ab -k) is kept alive and
// told so: the answer carries "Connection: keep-alive", without which the
// client waits for the server to close. A later HTTP/1.0 request without
// it is answered and the connection closed.
func TestHTTP10KeepAlive(t *testing.T) {
	addr := startServer(t, config{root: siteDir(t)})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	for i, path := range []string{"/", "/page.html", "/missing"} {
		fmt.Fprintf(c, "GET %s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", path)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("answer %d (%s): %v", i, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		if got := resp.Header.Get("Connection"); got != "keep-alive" {
			t.Errorf("answer %d (%s): %d with Connection %q; want keep-alive", i, path, resp.StatusCode, got)
		}
	}
	fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("the last answer: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if !resp.Close {
		t.Errorf("answer to HTTP/1.0 without keep-alive: Connection %q; want close", resp.Header.Get("Connection"))
	}
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Errorf("after the last answer: %q, %v; want the connection closed", rest, err)
	}
}

// fileSession runs a server of the files in siteDir with the given idle
// time on one end of a memory pair, on the mock clock, and client on the
// other end; it returns serveConn's error and when it returned.
func fileSession(t *testing.T, idle time.Duration, client func(ctx context.Context, peer streams.Stream)) (servedAt time.Duration, served error) {
	t.Helper()
	files, err := newFileServer(siteDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	srv := &server{idle: idle, files: files}
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	err = task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(64 << 10)
		start := task.Now(ctx)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close() // the client reads what was sent, then EOF
				served = srv.serveConn(ctx, a)
				servedAt = task.Now(ctx).Sub(start)
				return nil
			})
			defer b.Close()
			client(ctx, b)
			return nil
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return servedAt, served
}

// -idle is a time without progress, not a bound on a response: a client
// that reads an 8 MiB file 16 KiB every 100 ms (51 s in all, on the mock
// clock) with an idle time of 1 s gets all of it.
func TestSteadyDownloadOutlivesIdle(t *testing.T) {
	const idle = time.Second
	var got int
	var took time.Duration
	_, served := fileSession(t, idle, func(ctx context.Context, peer streams.Stream) {
		start := task.Now(ctx)
		if _, err := peer.Write(ctx, []byte("GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")); err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, 16<<10)
		for {
			n, err := peer.Read(ctx, buf)
			got += n
			if err != nil {
				break
			}
			if err := task.Sleep(ctx, 100*time.Millisecond); err != nil {
				t.Error(err)
				return
			}
		}
		took = task.Now(ctx).Sub(start)
	})
	head := len("HTTP/1.1 200 OK\r\n")
	if got < 8<<20+head {
		t.Errorf("the client got %d bytes in %v (the server: %v); want the whole 8 MiB file (idle %v)", got, took, served, idle)
	}
	if took < 50*idle {
		t.Errorf("the download took %v; want more than 50 idle times: the test must read slowly", took)
	}
}

// The idle deadline moves with each piece of at most writePiece bytes the
// client takes, not with a whole chunk of the file: a client that takes
// one piece per 0.9 idle times keeps its download (written in 64 KiB
// chunks, it would need 3.6 idle times per Write).
func TestOnePiecePerIdleTimeKeepsADownload(t *testing.T) {
	const idle = time.Second
	var got int
	_, served := fileSession(t, idle, func(ctx context.Context, peer streams.Stream) {
		if _, err := peer.Write(ctx, []byte("GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")); err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, writePiece)
		for {
			if err := task.Sleep(ctx, idle*9/10); err != nil {
				t.Error(err)
				return
			}
			n, err := peer.Read(ctx, buf)
			got += n
			if err != nil {
				break
			}
		}
	})
	if got < 8<<20 {
		t.Errorf("the client got %d bytes (the server: %v); want the whole 8 MiB file", got, served)
	}
}

// A client that stops reading in the middle of a download is closed
// exactly one idle time after the last piece it took.
func TestStalledDownloadClosesAtIdle(t *testing.T) {
	const idle = 30 * time.Second
	at, served := fileSession(t, idle, func(ctx context.Context, peer streams.Stream) {
		if _, err := peer.Write(ctx, []byte("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n")); err != nil {
			t.Error(err)
			return
		}
		if _, err := io.ReadFull(streamReader{ctx, peer}, make([]byte, 200<<10)); err != nil {
			t.Error(err)
			return
		}
		// And no more, until the server gives up.
		task.Sleep(ctx, time.Hour)
	})
	if at != idle || !errors.Is(served, errIdle) {
		t.Errorf("the server gave up after %v with %v; want %v and errIdle", at, served, idle)
	}
}

// streamReader is an io.Reader of a stream, for io.ReadFull.
type streamReader struct {
	ctx context.Context
	s   streams.Stream
}

func (r streamReader) Read(p []byte) (int, error) { return r.s.Read(r.ctx, p) }

// File work holds worker threads from the file server's own limiter: with
// its tokens gone, a file request waits while "/" is still answered; once
// they are back, the file is served.
func TestFileWorkHasItsOwnThreadLimit(t *testing.T) {
	files, err := newFileServer(siteDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	if files.threads.Total() != fileThreads || fileThreads >= 40 {
		t.Fatalf("the file limiter has %d tokens; want %d, fewer than the loop's 40", files.threads.Total(), fileThreads)
	}
	srv := &server{idle: time.Minute, files: files}
	err = task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			conn := func() (streams.Stream, *streams.BufferedReader) {
				a, b := streams.MemoryPair(64 << 10)
				n.Go(func(ctx context.Context) error {
					defer a.Close()
					srv.serveConn(ctx, a)
					return nil
				})
				return b, streams.NewBufferedReader(b, 64<<10)
			}
			fileConn, fileReplies := conn()
			defer fileConn.Close()
			helloConn, helloReplies := conn()
			defer helloConn.Close()
			files.threads.SetTotal(0)
			if _, err := fileConn.Write(ctx, []byte("GET /page.html HTTP/1.1\r\nHost: h\r\n\r\n")); err != nil {
				return err
			}
			if _, err := helloConn.Write(ctx, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")); err != nil {
				return err
			}
			if resp, err := readResponse(ctx, helloReplies); err != nil || string(resp.body) != hello {
				return fmt.Errorf("hello while the file limiter is empty: %v, %v", resp, err)
			}
			task.WaitAllTasksBlocked(ctx)
			if fileReplies.Buffered() != 0 || files.threads.Borrowed() != 0 {
				t.Errorf("a file was served with the file limiter at 0")
			}
			files.threads.SetTotal(fileThreads)
			if resp, err := readResponse(ctx, fileReplies); err != nil || string(resp.body) != "<p>page</p>" {
				return fmt.Errorf("the file once the limiter is back: %v, %v", resp, err)
			}
			n.Cancel()
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The demo's head and body limits and timeouts, as the README states
// them.
func TestStatedLimits(t *testing.T) {
	if maxHead != 8<<10 || maxBody != 1<<20 || fileThreads != 8 || writePiece != 16<<10 || chunkSize != 64<<10 {
		t.Errorf("limits changed: head %d, body %d, file threads %d, write piece %d, chunk %d: update the README",
			maxHead, maxBody, fileThreads, writePiece, chunkSize)
	}
	if !strings.Contains(hello, "Hello") {
		t.Errorf("hello is %q", hello)
	}
}
