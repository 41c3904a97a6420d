package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/demos/internal/demotest"
)

// curl: two URLs on one kept-alive connection, a file, and a traversal
// attempt sent as is.
func TestCurl(t *testing.T) {
	curl := demotest.Need(t, "curl", "curl")
	addr := startServer(t, config{root: siteDir(t)})
	out, err := exec.Command(curl, "-sS", "-v", "http://"+addr+"/", "http://"+addr+"/page.html").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, hello) || !strings.Contains(s, "<p>page</p>") ||
		!strings.Contains(s, "Re-using existing connection") {
		t.Errorf("curl of two pages did not get both over one connection:\n%s", s)
	}
	out, err = exec.Command(curl, "-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "http://"+addr+"/../secret.txt").CombinedOutput()
	if err != nil || string(out) != "400" {
		t.Errorf("curl of /../secret.txt: %q, %v; want 400", out, err)
	}
}

// wrk, as the peer benchmark runs it, on one loop and on two: every
// answer a 200, no socket errors.
func TestWrk(t *testing.T) {
	wrk := demotest.Need(t, "wrk", "wrk")
	for _, loops := range []int{1, 2} {
		addr := startServer(t, config{loops: loops})
		out, err := exec.Command(wrk, "-t1", "-c20", "-d1s", "http://"+addr+"/").CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		s := string(out)
		if !strings.Contains(s, "Requests/sec:") || strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
			t.Errorf("wrk on %d loop(s):\n%s", loops, s)
		}
	}
}

// curl as the red team ran it: HTTP/1.0 with keep-alive (ab -k's way)
// reuses the connection, which needs "Connection: keep-alive" in the
// answer; and the smuggling shapes, sent byte for byte through curl's
// telnet:// (raw TCP), get one answer each, or 400 and the end of the
// connection.
func TestCurlKeepAliveAndSmuggling(t *testing.T) {
	curl := demotest.Need(t, "curl", "curl")
	addr := startServer(t, config{root: siteDir(t)})
	out, err := exec.Command(curl, "-sS", "-v", "-0", "-H", "Connection: keep-alive",
		"http://"+addr+"/", "http://"+addr+"/page.html").CombinedOutput()
	if err != nil {
		t.Fatalf("curl -0: %v\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, hello) || !strings.Contains(s, "<p>page</p>") ||
		!strings.Contains(s, "Re-using existing connection") || !strings.Contains(s, "< Connection: keep-alive") {
		t.Errorf("curl -0 with keep-alive did not get both pages over one connection:\n%s", s)
	}
	for _, tt := range []struct {
		name, send string
		statuses   []int
	}{
		{"bare LF hides no length", "GET / HTTP/1.1\r\nHost: x\nContent-Length: 29\r\n\r\nGET /s1 HTTP/1.1\r\nHost: x\r\n\r\n" +
			"GET /page.html HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []int{200, 200}},
		{"bare LF only", "GET / HTTP/1.1\nHost: x\nConnection: close\n\n", []int{200}},
		{"plus in length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", []int{400}},
		{"two lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", []int{400}},
		{"bare CR", "GET / HTTP/1.1\r\nHost: h\rContent-Length: 5\r\n\r\nhello", []int{400}},
		{"NUL", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", []int{400}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(curl, "-sS", "--max-time", "10", "telnet://"+addr)
			cmd.Stdin = strings.NewReader(tt.send)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl telnet://: %v; got %q", err, out)
			}
			r := bufio.NewReader(bytes.NewReader(out))
			for i, want := range tt.statuses {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatalf("answer %d: %v in %q", i, err, out)
				}
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode != want {
					t.Errorf("answer %d: %d; want %d (all: %q)", i, resp.StatusCode, want, out)
				}
			}
			if rest, _ := io.ReadAll(r); len(rest) != 0 {
				t.Errorf("after %d answers the server sent %q", len(tt.statuses), rest)
			}
		})
	}
}
