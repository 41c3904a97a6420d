package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/f04742a6/reactor/internal/echo"
)

// BenchmarkEchoCallbacks measures echo servers: 64-byte messages bounced
// over loopback TCP, one operation being one round trip, spread over 1 or
// 64 connections. The clients are the same in both variants (net.Conn, a
// goroutine per connection); only the server differs:
//
//   - reactor: AddReader/AddWriter callbacks on one loop, on one OS thread
//     (internal/echo).
//   - go: net.Conn with a goroutine per connection, on every core.
//   - reactor-loop-clients: clients as callbacks on the same loop as the
//     server: everything on one thread (compare with "go", which uses both
//     cores for clients and server).
func BenchmarkEchoCallbacks(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 64)
	for _, conns := range []int{1, 64} {
		b.Run(fmt.Sprintf("conns=%d/reactor", conns), func(b *testing.B) {
			port, stop := loopEchoServer(b)
			defer stop()
			goClients(b, "127.0.0.1:"+strconv.Itoa(port), conns, msg)
		})
		b.Run(fmt.Sprintf("conns=%d/go", conns), func(b *testing.B) {
			addr, stop := goEchoServer(b)
			defer stop()
			goClients(b, addr, conns, msg)
		})
		b.Run(fmt.Sprintf("conns=%d/reactor-loop-clients", conns), func(b *testing.B) {
			l := newLoop(b)
			srv, err := echo.Listen(l, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			var result error
			p := &echo.Pinger{Total: b.N, Msg: msg, Done: func(err error) { result = err; l.Stop() }}
			if err := p.Dial(l, srv.Port, conns); err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			b.ReportAllocs()
			b.ResetTimer()
			runLoop(b, l)
			b.StopTimer()
			if result != nil {
				b.Fatal(result)
			}
		})
	}
}

// loopEchoServer runs the callback echo server on a loop in its own
// goroutine until stop is called.
func loopEchoServer(b *testing.B) (port int, stop func()) {
	l := newLoop(b)
	srv, err := echo.Listen(l, 0)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- l.Run() }()
	return srv.Port, func() {
		l.CallSoonThreadsafe(func() { srv.Close(); l.Stop() })
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// goEchoServer is the idiomatic Go echo server: a goroutine per
// connection, reading into a 64 KiB buffer.
func goEchoServer(b *testing.B) (addr string, stop func()) { return goEchoServerBuf(b, 64<<10) }

// goEchoServerBuf is goEchoServer with a read buffer of size bytes.
func goEchoServerBuf(b *testing.B, size int) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var servers sync.WaitGroup
	servers.Add(1)
	go func() {
		defer servers.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			servers.Add(1)
			go func() {
				defer servers.Done()
				defer c.Close()
				buf := make([]byte, size)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close(); servers.Wait() }
}

// goClients makes b.N round trips over conns connections, timing only the
// round trips. The server goroutines end when the clients close.
func goClients(b *testing.B, addr string, conns int, msg []byte) {
	clients := make([]net.Conn, conns)
	for i := range clients {
		var err error
		if clients[i], err = net.Dial("tcp", addr); err != nil {
			b.Fatal(err)
		}
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	b.ReportAllocs()
	b.ResetTimer()
	for i, c := range clients {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, len(msg))
			for range n {
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
