package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"testing"

	"github.com/f04742a6/reactor/internal/sock"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// BenchmarkEcho measures echo servers on streams: one operation is one
// round trip of a message over loopback TCP, spread over 1, 64 or 1024
// connections. The clients are the same for both (net.Conn, a goroutine
// per connection, in this process); only the server differs:
//
//   - reactor: streams.ServeTCP, a task per connection, on one loop (one
//     OS thread).
//   - go: net.Conn with a goroutine per connection, on every core.
//
// allocs/op counts the whole process; the Go clients allocate nothing per
// round trip, so it is the server's.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{64, 4 << 10, 64 << 10} {
		msg := bytes.Repeat([]byte("x"), size)
		for _, conns := range []int{1, 64, 1024} {
			name := fmt.Sprintf("size=%d/conns=%d", size, conns)
			b.Run(name+"/reactor", func(b *testing.B) {
				addr, stop := taskEchoServer(b)
				defer stop()
				goClients(b, addr, conns, msg)
			})
			b.Run(name+"/go", func(b *testing.B) {
				addr, stop := goEchoServer(b)
				defer stop()
				goClients(b, addr, conns, msg)
			})
		}
	}
}

// echoHandler echoes until the peer closes, reading into 64 KiB.
func echoHandler(ctx context.Context, s streams.Stream) error { return echoWith(ctx, s, 64<<10) }

// echoWith is echoHandler with a read buffer of size bytes.
func echoWith(ctx context.Context, s streams.Stream, size int) error {
	buf := make([]byte, size)
	for {
		n, err := s.Read(ctx, buf)
		if err != nil {
			return nil
		}
		if _, err := s.Write(ctx, buf[:n]); err != nil {
			return nil
		}
	}
}

// taskEchoServer runs streams.ServeTCP with echoHandler in a task.Run of
// its own goroutine until stop is called.
func taskEchoServer(b *testing.B) (addr string, stop func()) {
	return taskEchoServerWith(b, echoHandler)
}

// taskEchoServerWith is taskEchoServer with another handler.
func taskEchoServerWith(b *testing.B, echoHandler streams.Handler) (addr string, stop func()) {
	b.Helper()
	type server struct {
		addr  net.Addr
		token *task.Token
		scope *task.Scope
	}
	up := make(chan server, 1)
	done := make(chan error, 1)
	go func() {
		done <- task.Run(func(ctx context.Context) error {
			return task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", echoHandler, func(a net.Addr) {
					up <- server{a, task.CurrentToken(ctx), s}
				})
			})
		}, task.WithLogger(slog.New(slog.DiscardHandler)), task.WithSignals())
	}()
	var srv server
	select {
	case srv = <-up:
	case err := <-done:
		b.Fatal(err)
	}
	return srv.addr.String(), func() {
		srv.token.Run(func(context.Context) error { srv.scope.Cancel(); return nil })
		srv.token.Close()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdleConnMemory holds 5,000 idle connections, each served and
// parked in a Read, and reports the server's heap and stack bytes per
// connection (bytes/conn): a parked task (a coroutine goroutine, its
// stack, its stream) against a parked goroutine (its stack, its
// net.Conn), both with a 512-byte read buffer, so that the buffer (which
// a server sizes as it likes) does not hide the rest. The clients are raw
// sockets, which cost the Go heap nothing.
func BenchmarkIdleConnMemory(b *testing.B) {
	const conns = 5000
	for _, v := range []struct {
		name  string
		serve func(b *testing.B) (string, func())
	}{
		{"reactor", func(b *testing.B) (string, func()) {
			return taskEchoServerWith(b, func(ctx context.Context, s streams.Stream) error { return echoWith(ctx, s, 512) })
		}},
		{"go", func(b *testing.B) (string, func()) { return goEchoServerBuf(b, 512) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				addr, stop := v.serve(b)
				base, baseStack := memInUse(), stackInUse()
				port := mustPort(b, addr)
				fds := make([]uintptr, 0, conns)
				for range conns {
					fd, err := sock.DialTCP(port)
					if err != nil {
						b.Skipf("dialling: %v (raise RLIMIT_NOFILE)", err)
					}
					fds = append(fds, fd)
				}
				// Every connection served: one round trip each.
				for _, fd := range fds {
					sock.Write(fd, []byte("x"))
				}
				for _, fd := range fds {
					var p [1]byte
					for {
						if n, _ := sock.Read(fd, p[:]); n == 1 {
							break
						}
						runtime.Gosched()
					}
				}
				b.ReportMetric(float64(memInUse()-base)/conns, "bytes/conn")
				b.ReportMetric(float64(stackInUse()-baseStack)/conns, "stack-bytes/conn")
				for _, fd := range fds {
					sock.Close(fd)
				}
				stop()
			}
		})
	}
}

func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

func stackInUse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.StackInuse)
}

func mustPort(b *testing.B, addr string) int {
	b.Helper()
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	return ta.Port
}
