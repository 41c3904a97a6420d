//go:build unix

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A FIFO under -root is refused (404) at once, however many ask for it:
// opening it does not wait for a writer, so it pins no worker thread
// (before, 40 requests took every thread and the server hung, SIGINT
// included). Regular files are still served afterwards.
func TestFIFOUnderRootIsRefusedAtOnce(t *testing.T) {
	root := siteDir(t)
	fifo := filepath.Join(root, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	// Should a worker still be stuck in open(2) when the server stops (the
	// fault this test is about), a writer frees it so the test ends: it is
	// opened before the server stops and closed after.
	var writer *os.File
	t.Cleanup(func() {
		if writer != nil {
			writer.Close()
		}
	})
	addr := startServer(t, config{root: root})
	t.Cleanup(func() {
		writer, _ = os.OpenFile(fifo, os.O_RDWR|syscall.O_NONBLOCK, 0)
	})
	const requests = 48 // more than a loop's 40 worker threads
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			got, err := get(addr, "/pipe")
			if err != nil || got != 404 {
				t.Errorf("request %d for the FIFO: %d, %v; want 404 at once", i, got, err)
			}
		})
	}
	wg.Wait()
	if got, err := get(addr, "/page.html"); err != nil || got != 200 {
		t.Errorf("a page after the FIFO requests: %d, %v; want 200", got, err)
	}
}

// get sends one GET on a new connection and returns the status, or an
// error if none came within 5 s.
func get(addr, path string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
