package streams_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// socketPair is tcpPair with the concrete types.
func socketPair(t *testing.T, ctx context.Context) (*streams.SocketStream, *streams.SocketStream) {
	t.Helper()
	a, b, err := tcpPair(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a.(*streams.SocketStream), b.(*streams.SocketStream)
}

// A Read or Write that can complete at once allocates nothing.
func TestImmediateReadWriteAllocateNothing(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		defer b.Close()
		out, in := []byte("ping"), make([]byte, 64)
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := a.Write(ctx, out); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Read(ctx, in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Write+Read that complete at once: %v allocs; want 0", allocs)
		}
		return nil
	})
}

// A short read with the peer's FIN already reported must not hide the
// EOF: the hang-up stays on the registration, so the next Read reads (0)
// instead of waiting for an edge that will never come.
func TestShortReadKeepsPendingEOF(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		if _, err := b.Write(ctx, []byte("abc")); err != nil {
			return err
		}
		b.Close()
		task.WaitAllTasksBlocked(ctx) // the loop polls: data and FIN are reported
		buf := make([]byte, 100)
		n, err := a.Read(ctx, buf)
		if n != 3 || err != nil {
			t.Fatalf("Read = %d, %v; want 3, nil", n, err)
		}
		if n, err := a.Read(ctx, buf); n != 0 || err != io.EOF {
			t.Errorf("Read after the data = %d, %v; want 0, io.EOF", n, err)
		}
		return nil
	})
}

// A reset peer: the error matches ErrBrokenResource and ECONNRESET,
// names the peer, and stays.
func TestPeerResetIsBrokenAndSticky(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("under Wine a peer's RST reads as a clean EOF here (recv returns 0); WSAECONNRESET, where Windows reports it, maps onto ECONNRESET")
	}
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		if _, err := a.Write(ctx, []byte("unread")); err != nil {
			return err
		}
		resetOnClose(t, b.FD())
		b.Close() // unread data and SO_LINGER 0: an RST
		buf := make([]byte, 10)
		_, err := a.Read(ctx, buf)
		if !errors.Is(err, task.ErrBrokenResource) || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read from a reset peer: %v; want ErrBrokenResource and ECONNRESET", err)
		}
		if !strings.Contains(err.Error(), a.RemoteAddr().String()) {
			t.Errorf("error %q does not name the peer %s", err, a.RemoteAddr())
		}
		if _, err2 := a.Read(ctx, buf); !errors.Is(err2, syscall.ECONNRESET) {
			t.Errorf("a second Read: %v; want the reset again", err2)
		}
		var werr error
		for i := 0; i < 100 && werr == nil; i++ {
			_, werr = a.Write(ctx, make([]byte, 4096))
		}
		if !errors.Is(werr, task.ErrBrokenResource) || !(errors.Is(werr, syscall.EPIPE) || errors.Is(werr, syscall.ECONNRESET)) {
			t.Errorf("Write to a reset peer: %v; want ErrBrokenResource with EPIPE or ECONNRESET", werr)
		}
		return nil
	})
}

// The peer's CloseWrite: we read EOF, and can still write to it.
func TestPeerHalfClose(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		defer b.Close()
		if err := b.CloseWrite(ctx); err != nil {
			return err
		}
		if n, err := a.Read(ctx, make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("Read after the peer's CloseWrite = %d, %v; want 0, io.EOF", n, err)
		}
		if _, err := a.Write(ctx, []byte("still here")); err != nil {
			t.Errorf("Write after the peer's CloseWrite: %v", err)
		}
		if got := readN(t, ctx, b, 10); string(got) != "still here" {
			t.Errorf("the peer read %q; want %q", got, "still here")
		}
		return nil
	})
}

func TestNoDelayIsOn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		defer b.Close()
		for _, s := range []*streams.SocketStream{a, b} {
			if !noDelay(t, s.FD()) {
				t.Errorf("TCP_NODELAY is off on %v", s.LocalAddr())
			}
		}
		return nil
	})
}

func TestAddresses(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		defer b.Close()
		if a.RemoteAddr().String() != b.LocalAddr().String() || b.RemoteAddr().String() != a.LocalAddr().String() {
			t.Errorf("addresses do not cross: a %v->%v, b %v->%v", a.LocalAddr(), a.RemoteAddr(), b.LocalAddr(), b.RemoteAddr())
		}
		if _, ok := a.RemoteAddr().(*net.TCPAddr); !ok {
			t.Errorf("RemoteAddr is a %T; want *net.TCPAddr", a.RemoteAddr())
		}
		return nil
	})
}

// Serve: each connection runs as a task, a handler's error is logged with
// the peer's address and ends only that connection, and Serve returns
// once cancelled, after its connections.
func TestServe(t *testing.T) {
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	run(t, func(ctx context.Context) error {
		handler := func(ctx context.Context, s streams.Stream) error {
			buf := make([]byte, 64)
			for {
				n, err := s.Read(ctx, buf)
				if err != nil {
					return nil
				}
				if string(buf[:n]) == "fail" {
					return errors.New("the client asked for it")
				}
				if _, err := s.Write(ctx, buf[:n]); err != nil {
					return err
				}
			}
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", handler, started)
			})
			if err != nil {
				return err
			}
			good, err := streams.DialTCP(ctx, addr.String())
			if err != nil {
				return err
			}
			defer good.Close()
			bad, err := streams.DialTCP(ctx, addr.String())
			if err != nil {
				return err
			}
			defer bad.Close()
			bad.Write(ctx, []byte("fail"))
			if n, err := bad.Read(ctx, make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("the failed connection: Read = %d, %v; want EOF (Serve closes it)", n, err)
			}
			good.Write(ctx, []byte("echo"))
			if got := readN(t, ctx, good, 4); string(got) != "echo" {
				t.Errorf("the other connection echoed %q; want %q", got, "echo")
			}
			if !strings.Contains(logs.String(), "the client asked for it") || !strings.Contains(logs.String(), bad.LocalAddr().String()) {
				t.Errorf("log %q does not hold the handler's error and the peer %v", logs.String(), bad.LocalAddr())
			}
			n.Cancel()
			return nil
		})
	})
}

// A handler's panic is not swallowed.
func TestServeHandlerPanicPropagates(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmtAny(v), "handler bug") {
			t.Errorf("recovered %v; want the handler's panic", v)
		}
	}()
	task.Run(func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error { panic("handler bug") })
			})
			c, err := streams.DialTCP(ctx, l.Addr().String())
			if err != nil {
				return err
			}
			defer c.Close()
			c.Read(ctx, make([]byte, 1))
			return nil
		})
	})
}

// Close from another goroutine wakes a blocked Accept.
func TestListenerCloseWakesAccept(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			done, res := task.NewChannel[error](1)
			n.Go(func(ctx context.Context) error {
				_, err := l.Accept(ctx)
				done.TrySend(err)
				return nil
			})
			task.WaitAllTasksBlocked(ctx)
			task.ToThread(ctx, func(context.Context) error { return l.Close() })
			err, _ := res.Receive(ctx)
			if !errors.Is(err, task.ErrClosedResource) {
				t.Errorf("Accept when the listener closed: %v; want ErrClosedResource", err)
			}
			return nil
		})
	})
}

func readN(t *testing.T, ctx context.Context, s streams.Stream, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(streams.Conn(ctx, s), buf); err != nil {
		t.Errorf("reading %d bytes: %v", n, err)
	}
	return buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// An fd closed behind the stream's back reads as closed, not broken
// (EBADF is the stream's fault, not the peer's).
func TestClosedUnderfootIsClosed(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer b.Close()
		closeRaw(t, a.FD())
		_, err := a.Write(ctx, []byte("x"))
		if !errors.Is(err, task.ErrClosedResource) {
			t.Errorf("Write to an fd closed underfoot: %v; want ErrClosedResource", err)
		}
		a.Close()
		return nil
	})
}

// ReusePort lets two listeners share an address; names resolve off the
// loop; a Unix listener removes its file on Close.
func TestListenAndDialVariants(t *testing.T) {
	run(t, func(ctx context.Context) error {
		if runtime.GOOS != "windows" {
			l1, err := streams.ListenTCP(ctx, "127.0.0.1:0", streams.ReusePort())
			if err != nil {
				return err
			}
			defer l1.Close()
			l2, err := streams.ListenTCP(ctx, l1.Addr().String(), streams.ReusePort())
			if err != nil {
				t.Errorf("a second ReusePort listener on %v: %v", l1.Addr(), err)
			} else {
				l2.Close()
			}
			path := t.TempDir() + "/sock"
			u, err := streams.ListenUnix(ctx, path)
			if err != nil {
				return err
			}
			u.Close()
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the socket file after Close: %v; want it removed", err)
			}
		}
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		c, err := streams.DialTCP(ctx, "localhost:"+port)
		if err != nil {
			t.Fatalf("DialTCP by name: %v", err)
		}
		defer c.Close()
		s, err := l.Accept(ctx)
		if err != nil {
			return err
		}
		s.Close()
		return nil
	})
}
