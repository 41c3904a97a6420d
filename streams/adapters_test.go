package streams_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// bufio and encoding/json run unchanged over Conn inside tasks.
func TestConnRunsStandardLibraryCode(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(0)
		defer a.Close()
		defer b.Close()
		type msg struct{ N int }
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				w := bufio.NewWriter(streams.Conn(ctx, a))
				enc := json.NewEncoder(w)
				for i := range 3 {
					if err := enc.Encode(msg{i}); err != nil {
						return err
					}
				}
				if err := w.Flush(); err != nil {
					return err
				}
				return a.CloseWrite(ctx)
			})
			dec := json.NewDecoder(bufio.NewReader(streams.Conn(ctx, b)))
			for i := range 3 {
				var m msg
				if err := dec.Decode(&m); err != nil || m.N != i {
					t.Errorf("Decode #%d = %+v, %v", i, m, err)
				}
			}
			var m msg
			if err := dec.Decode(&m); err != io.EOF {
				t.Errorf("Decode at the end: %v; want io.EOF", err)
			}
			return nil
		})
	})
}

// A deadline on Conn fails the call like package net's: a net.Error with
// Timeout, matching os.ErrDeadlineExceeded; the conn stays usable.
func TestConnDeadlines(t *testing.T) {
	runMock(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(0)
		defer a.Close()
		defer b.Close()
		c := streams.Conn(ctx, b)
		c.SetReadDeadline(time.Now().Add(time.Second))
		start := task.Now(ctx)
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past its deadline: %v; want a timeout net.Error matching os.ErrDeadlineExceeded", err)
		}
		if waited := task.Now(ctx).Sub(start); waited < 900*time.Millisecond || waited > 1100*time.Millisecond {
			t.Errorf("the deadline fired after %v of loop time; want about 1s", waited)
		}
		c.SetReadDeadline(time.Time{})
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { _, err := a.Write(ctx, []byte("z")); return err })
			if _, err := c.Read(make([]byte, 1)); err != nil {
				t.Errorf("Read after clearing the deadline: %v", err)
			}
			c.SetWriteDeadline(time.Now().Add(-time.Second))
			if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Write with a passed deadline: %v; want os.ErrDeadlineExceeded", err)
			}
			return nil
		})
	})
}

// crypto/tls itself runs over Conn, in two tasks of one loop.
func TestCryptoTLSOverConn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(4096)
		defer a.Close()
		defer b.Close()
		ccfg, scfg := tlsConfigs()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				s := tls.Server(streams.Conn(ctx, b), scfg)
				line, err := bufio.NewReader(s).ReadString('\n')
				if err != nil {
					return err
				}
				_, err = s.Write([]byte(strings.ToUpper(line)))
				return err
			})
			c := tls.Client(streams.Conn(ctx, a), ccfg)
			if err := c.HandshakeContext(ctx); err != nil {
				return err
			}
			if _, err := c.Write([]byte("hello\n")); err != nil {
				return err
			}
			got, err := bufio.NewReader(c).ReadString('\n')
			if got != "HELLO\n" || err != nil {
				t.Errorf("read %q, %v; want %q", got, err, "HELLO\n")
			}
			return nil
		})
	})
}

// TLSStream: the handshake is done when NewTLSClient returns, the state
// is reported, and 1 MiB goes both ways at once over sockets whose
// buffers are tiny (every flush waits), with one reader and one writer
// task per end: crypto/tls's mutexes never block the loop.
func TestTLSFullDuplexOverClogging(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		shrinkBuffers(t, a.(*streams.SocketStream).FD())
		shrinkBuffers(t, b.(*streams.SocketStream).FD())
		ta, tb, err := tlsOver(func(context.Context) (streams.Stream, streams.Stream, error) { return a, b, nil })(ctx)
		if err != nil {
			return err
		}
		defer ta.Close()
		defer tb.Close()
		st := ta.(*streams.TLSStream).ConnectionState()
		if !st.HandshakeComplete || st.Version != tls.VersionTLS13 || st.ServerName != "localhost" {
			t.Errorf("state: complete %v, version %x, server name %q", st.HandshakeComplete, st.Version, st.ServerName)
		}
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte(i * 7)
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			for _, ends := range [][2]streams.Stream{{ta, tb}, {tb, ta}} {
				w, r := ends[0], ends[1]
				n.Go(func(ctx context.Context) error {
					_, err := w.Write(ctx, data)
					return err
				})
				n.Go(func(ctx context.Context) error {
					got := make([]byte, len(data))
					if _, err := io.ReadFull(streams.Conn(ctx, r), got); err != nil {
						return err
					}
					if string(got) != string(data) {
						t.Error("the bytes read differ from those written")
					}
					return nil
				})
			}
			return nil
		})
	})
}

// A TLS handshake with an untrusted certificate fails as broken, and
// closes the transport.
func TestTLSHandshakeFailure(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(64 << 10) // lockstep would deadlock: both ends write at once
		_, scfg := tlsConfigs()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				streams.NewTLSServer(ctx, b, scfg)
				return nil
			})
			_, err := streams.NewTLSClient(ctx, a, &tls.Config{ServerName: "localhost"})
			if !errors.Is(err, task.ErrBrokenResource) {
				t.Errorf("handshake with an unknown CA: %v; want ErrBrokenResource", err)
			}
			if _, werr := a.Write(ctx, []byte("x")); !errors.Is(werr, task.ErrClosedResource) {
				t.Errorf("the transport after a failed handshake: %v; want it closed", werr)
			}
			return nil
		})
	})
}

// MemoryPair(0) is lockstep: a Write returns once the reader has taken
// every byte, not before.
func TestMemoryPairLockstep(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(0)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			done, res := task.NewChannel[error](1)
			n.Go(func(ctx context.Context) error {
				_, err := a.Write(ctx, []byte("0123456789"))
				done.TrySend(err)
				return nil
			})
			task.WaitAllTasksBlocked(ctx)
			buf := make([]byte, 3)
			b.Read(ctx, buf)
			task.WaitAllTasksBlocked(ctx)
			if _, err := res.TryReceive(); err == nil {
				t.Error("Write returned after the reader took 3 of 10 bytes")
			}
			readN(t, ctx, b, 7)
			if err, _ := res.Receive(ctx); err != nil {
				t.Errorf("Write: %v", err)
			}
			return nil
		})
	})
}

func TestDatagrams(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, err := streams.ListenUDP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer a.Close()
		b, err := streams.ListenUDP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer b.Close()
		to := a.LocalAddr().(*net.UDPAddr).AddrPort()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				_, err := b.WriteTo(ctx, []byte("datagram"), to)
				return err
			})
			buf := make([]byte, 64)
			k, from, err := a.ReadFrom(ctx, buf)
			if err != nil || string(buf[:k]) != "datagram" {
				t.Errorf("ReadFrom = %q, %v", buf[:k], err)
			}
			if want := b.LocalAddr().(*net.UDPAddr).AddrPort(); from != want {
				t.Errorf("from %v; want %v", from, want)
			}
			if _, err := a.WriteTo(ctx, []byte("back"), netip.AddrPortFrom(from.Addr(), from.Port())); err != nil {
				return err
			}
			k, _, err = b.ReadFrom(ctx, buf)
			if err != nil || string(buf[:k]) != "back" {
				t.Errorf("reply: %q, %v", buf[:k], err)
			}
			return nil
		})
	})
}
