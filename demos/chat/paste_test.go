package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// withTCPRoom serves a room on loopback TCP and runs client, which must
// not block the loop: it is run on a worker thread.
func withTCPRoom(t *testing.T, client func(ctx context.Context, addr string) error) {
	t.Helper()
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", newRoom(defaultQueue).serve, started)
			})
			if err != nil {
				return err
			}
			err = task.ToThread(ctx, func(ctx context.Context) error { return client(ctx, addr.String()) })
			n.Cancel()
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The red team's burst with a real client, a Python script: 66 lines
// pasted in one write while others are connected (by one member, then by
// two at once), and 20,000 lines to 200 members, read one member after
// the other (the later ones' sockets fill meanwhile). Nobody is
// disconnected.
func TestPasteWithPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skipf("python3 is not installed (apt-get install python3), so the burst is not replayed with the Python client: %v", err)
	}
	for _, tt := range []struct{ members, lines, pasters int }{
		{10, 66, 1},
		{20, 66, 2},
		{200, 20000, 1},
	} {
		t.Run(fmt.Sprintf("%d members, %d pasting %d lines", tt.members, tt.pasters, tt.lines), func(t *testing.T) {
			if tt.lines > 1000 && testing.Short() {
				t.Skip("-short: the large paste is left to the test on memory streams")
			}
			withTCPRoom(t, func(ctx context.Context, addr string) error {
				host, port, _ := net.SplitHostPort(addr)
				cmd := exec.CommandContext(ctx, python, "testdata/paste.py", host, port,
					strconv.Itoa(tt.members), strconv.Itoa(tt.lines), strconv.Itoa(tt.pasters))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Errorf("paste.py: %v\n%s", err, out)
				} else {
					t.Logf("paste.py: %s", bytes.TrimSpace(out))
				}
				return nil
			})
		})
	}
}

// The same burst with Go's net: 66 lines in one write while ten others
// are connected.
func TestPasteWithNetClients(t *testing.T) {
	const members, lines = 10, 66
	withTCPRoom(t, func(ctx context.Context, addr string) error {
		dial := func() (net.Conn, *bufio.Reader, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return nil, nil, err
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			return c, bufio.NewReader(c), nil
		}
		paster, pr, err := dial()
		if err != nil {
			return err
		}
		defer paster.Close()
		type client struct {
			c net.Conn
			r *bufio.Reader
		}
		var cs []client
		for range members {
			c, r, err := dial()
			if err != nil {
				return err
			}
			defer c.Close()
			cs = append(cs, client{c, r})
		}
		for range members { // the paster hears of every join
			if _, err := pr.ReadString('\n'); err != nil {
				return fmt.Errorf("paster, waiting for the joins: %w", err)
			}
		}
		for i, c := range cs {
			for range members - 1 - i {
				if _, err := c.r.ReadString('\n'); err != nil {
					return fmt.Errorf("guest%d, waiting for the joins: %w", i+2, err)
				}
			}
		}
		var paste bytes.Buffer
		for i := range lines {
			fmt.Fprintf(&paste, "line %d\n", i)
		}
		paste.WriteString("still there?\n")
		if _, err := paster.Write(paste.Bytes()); err != nil {
			return err
		}
		for i, c := range cs {
			for n := range lines + 1 {
				want := "guest1: line " + strconv.Itoa(n) + "\n"
				if n == lines {
					want = "guest1: still there?\n"
				}
				if got, err := c.r.ReadString('\n'); got != want {
					t.Errorf("guest%d read %q, %v; want %q", i+2, got, err, want)
					break
				}
			}
		}
		return nil
	})
}
