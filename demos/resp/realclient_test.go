package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/demos/internal/demotest"
)

// startServer runs the server on loopback with loops loops until the
// test ends.
func startServer(t *testing.T, loops int) string {
	return demotest.Start(t, func(ready chan<- net.Addr, stop <-chan struct{}) error {
		return serveLoops(config{addr: "127.0.0.1:0", loops: loops}, ready, stop)
	})
}

// redis-cli, the real client, one command a connection and a script on
// one connection.
func TestRedisCLI(t *testing.T) {
	cli := demotest.Need(t, "redis-cli", "redis-tools")
	h, p := demotest.HostPort(t, startServer(t, 1))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "greeting", "hello world", "EX", "100"}, "OK"},
		{[]string{"GET", "greeting"}, "hello world"},
		{[]string{"TTL", "greeting"}, "100"},
		{[]string{"INCR", "visits"}, "1"},
		{[]string{"INCR", "visits"}, "2"},
		{[]string{"MGET", "greeting", "nothing", "visits"}, "hello world\n\n2"},
		{[]string{"DEL", "visits", "greeting"}, "2"},
		{[]string{"EXPIRE", "visits", "10"}, "0"},
		{[]string{"CONFIG", "GET", "save"}, "save"}, // and an empty value
		{[]string{"NOSUCH"}, "ERR unknown command 'NOSUCH', with args beginning with:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := exec.Command(cli, append([]string{"-h", h, "-p", p}, tt.args...)...).CombinedOutput()
			if got := strings.TrimRight(string(out), "\n "); err != nil || got != tt.want {
				t.Errorf("redis-cli %q: %q, %v; want %q", tt.args, got, err, tt.want)
			}
		})
	}
	t.Run("script on one connection", func(t *testing.T) {
		cmd := exec.Command(cli, "-h", h, "-p", p)
		cmd.Stdin = strings.NewReader("SET k 41\nINCR k\nECHO done\n")
		out, err := cmd.CombinedOutput()
		if want := "OK\n42\ndone\n"; err != nil || string(out) != want {
			t.Errorf("redis-cli with a script: %q, %v; want %q", out, err, want)
		}
	})
}

// redis-benchmark, as the peer benchmark runs it: start-up (CONFIG GET),
// inline and multibulk PING, SET, GET, without and with pipelining, and
// no error replies (-e prints them).
func TestRedisBenchmark(t *testing.T) {
	bench := demotest.Need(t, "redis-benchmark", "redis-tools")
	for _, loops := range []int{1, 2} {
		h, p := demotest.HostPort(t, startServer(t, loops))
		for _, pipeline := range []string{"1", "16"} {
			t.Run(fmt.Sprintf("loops %d pipeline %s", loops, pipeline), func(t *testing.T) {
				out, err := exec.Command(bench, "-h", h, "-p", p, "-t", "ping,set,get", "-n", "20000", "-c", "20",
					"-P", pipeline, "-q", "-e").CombinedOutput()
				if err != nil {
					t.Fatalf("redis-benchmark: %v\n%s", err, out)
				}
				final := finalLines(string(out))
				for _, test := range []string{"PING_INLINE", "PING_MBULK", "SET", "GET"} {
					if !strings.Contains(final, test+": ") || !strings.Contains(final, "requests per second") {
						t.Errorf("no result for %s in:\n%s", test, final)
					}
				}
				if strings.Contains(string(out), "ERR") || strings.Contains(string(out), "CONFIG") {
					t.Errorf("redis-benchmark saw an error:\n%s", final)
				}
			})
		}
	}
}

// finalLines drops redis-benchmark's progress lines (ended by '\r').
func finalLines(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if i := strings.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// With two loops the keyspace is one: what a connection sets, every
// other connection (on either loop) reads.
func TestLoopsShareTheKeyspace(t *testing.T) {
	demotest.NeedReusePort(t)
	addr := startServer(t, 2)
	var conns []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		conns = append(conns, c)
	}
	for i, c := range conns {
		if _, err := fmt.Fprintf(c, "SET k%d v%d\r\n", i, i); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("SET on connection %d: %q, %v", i, line, err)
		}
	}
	for i, c := range conns {
		r := bufio.NewReader(c)
		for j := range conns {
			fmt.Fprintf(c, "GET k%d\r\n", j)
			want := fmt.Sprintf("$%d\r\nv%d\r\n", len(fmt.Sprint(j))+1, j)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(r, got); err != nil || string(got) != want {
				t.Fatalf("connection %d, GET k%d: %q, %v; want %q", i, j, got, err, want)
			}
		}
	}
}

// A client that disconnects in the middle of a long reply (64 MiB of
// pipelined GETs, reset after the first bytes) ends its own session; the
// server goes on serving.
func TestClientLeavesMidReply(t *testing.T) {
	addr := startServer(t, 1)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var cl client
	cl.queue("SET", "big", strings.Repeat("x", 1<<20))
	for range 64 {
		cl.queue("GET", "big")
	}
	if _, err := c.Write(cl.out); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetLinger(0) // a reset, not a polite close
	c.Close()

	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c2, "PING\r\n")
	if line, err := bufio.NewReader(c2).ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("after a client left mid-reply, PING: %q, %v", line, err)
	}
}

// The demo's own run: the server, its client, the report.
func TestDemoReports(t *testing.T) {
	demotest.NeedReusePort(t)
	var out strings.Builder
	if err := demo(config{addr: "127.0.0.1:0", loops: 2, conns: 8, total: 960, pipeline: 4, size: 8}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "960 requests (PING, SET, GET) over 8 connections, pipeline 4") {
		t.Fatalf("report:\n%s", out.String())
	}
}
