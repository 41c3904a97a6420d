package streams_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// fairnessBudget is the bound task documents: a task yields at least once
// every 64 operations that complete without waiting.
const fairnessBudget = 64

// bufferedLines returns a reader with the lines "0\n" .. "n-1\n" in its
// buffer (one ReadLine has filled it and taken the first line), and the
// lines left.
func bufferedLines(ctx context.Context, n int) (*streams.BufferedReader, int, error) {
	w, r := streams.MemoryPair(1 << 16)
	var data bytes.Buffer
	for i := range n {
		fmt.Fprintf(&data, "%d\n", i)
	}
	if _, err := w.Write(ctx, data.Bytes()); err != nil {
		return nil, 0, err
	}
	br := streams.NewBufferedReader(r, 1<<14)
	if _, err := br.ReadLine(ctx); err != nil {
		return nil, 0, err
	}
	if br.Buffered() != data.Len()-2 {
		return nil, 0, fmt.Errorf("buffered %d bytes after the first line; want %d", br.Buffered(), data.Len()-2)
	}
	return br, n - 1, nil
}

// TestBufferedReaderCancelledWithDataBuffered: every BufferedReader call
// is a checkpoint, so a cancelled scope stops the reader at once even
// when the buffer could serve the call, and the buffer is left as it was.
func TestBufferedReaderCancelledWithDataBuffered(t *testing.T) {
	cases := []struct {
		name string
		call func(ctx context.Context, br *streams.BufferedReader) error
	}{
		{"Read", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.Read(ctx, make([]byte, 8))
			return err
		}},
		{"Read empty", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.Read(ctx, nil)
			return err
		}},
		{"ReadLine", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadLine(ctx)
			return err
		}},
		{"ReadUntil", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadUntil(ctx, []byte("\n"))
			return err
		}},
		{"ReadExactly", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadExactly(ctx, 4)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				br, _, err := bufferedLines(ctx, 10)
				if err != nil {
					return err
				}
				before := br.Buffered()
				var callErr error
				err = task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
					s.Cancel()
					callErr = c.call(ctx, br)
					return callErr
				})
				if err != nil {
					t.Errorf("the cancelled scope returned %v; want nil (it catches its own cancellation)", err)
				}
				if !errors.Is(callErr, task.ErrCancelled) {
					t.Errorf("%s in a cancelled scope with %d bytes buffered: %v; want an error matching task.ErrCancelled", c.name, before, callErr)
				}
				if br.Buffered() != before {
					t.Errorf("buffered %d bytes after the cancelled call; want %d untouched", br.Buffered(), before)
				}
				line, err := br.ReadLine(ctx)
				if err != nil || string(line) != "1" {
					t.Errorf("ReadLine after the scope = %q, %v; want \"1\", nil", line, err)
				}
				return nil
			})
		})
	}
}

// yieldsWithinBudget runs op in one task until it has done total
// operations, and checks that another task made runnable after the
// first of them runs before the first has done more than the fairness
// budget of further ones. op must complete every call without waiting.
func yieldsWithinBudget(t *testing.T, ctx context.Context, total int, op func(ctx context.Context) error) error {
	t.Helper()
	var (
		done    int // operations op completed
		woken   = -1
		seen    = -1
		running task.Event
	)
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error {
			for done < total {
				if err := op(ctx); err != nil {
					return fmt.Errorf("operation %d: %w", done, err)
				}
				done++
				if done == 1 {
					woken = done
					running.Set() // the other task is runnable from here on
				}
			}
			return nil
		})
		n.Go(func(ctx context.Context) error {
			if err := running.Wait(ctx); err != nil {
				return err
			}
			seen = done
			return nil
		})
		return nil
	})
	if err != nil {
		return err
	}
	if seen < 0 {
		return errors.New("the other task never ran")
	}
	ran := seen - woken
	t.Logf("the other task ran after %d more operations of the busy task", ran)
	if ran > fairnessBudget {
		t.Errorf("the other task ran after %d more operations of the busy task; want at most %d (the fairness budget)", ran, fairnessBudget)
	}
	return nil
}

// TestBufferedReaderYieldsWithinBudget: a burst of 1000 buffered lines
// from one peer does not keep the loop: the reader yields within the
// fairness budget while every line comes from its buffer.
func TestBufferedReaderYieldsWithinBudget(t *testing.T) {
	cases := []struct {
		name string
		call func(ctx context.Context, br *streams.BufferedReader) error
	}{
		{"ReadLine", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadLine(ctx)
			return err
		}},
		{"ReadUntil", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadUntil(ctx, []byte("\n"))
			return err
		}},
		{"ReadExactly", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.ReadExactly(ctx, 1)
			return err
		}},
		{"Read", func(ctx context.Context, br *streams.BufferedReader) error {
			_, err := br.Read(ctx, make([]byte, 1))
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				br, left, err := bufferedLines(ctx, 1001)
				if err != nil {
					return err
				}
				return yieldsWithinBudget(t, ctx, left, func(ctx context.Context) error { return c.call(ctx, br) })
			})
		})
	}
}

// TestImmediateOperationsYieldWithinBudget: the other operations that
// can complete without waiting spend the fairness budget too: a
// MemoryStream's Read of buffered bytes and Write into buffer room, a
// TLS stream's Read of plaintext crypto/tls holds already, a
// MemoryListener's Accept of a backlog, and a Conn call past its
// deadline.
func TestImmediateOperationsYieldWithinBudget(t *testing.T) {
	const total = 1000
	cases := []struct {
		name string
		// setup returns the operation to repeat, every call of which
		// completes without waiting.
		setup func(ctx context.Context) (func(ctx context.Context) error, func(), error)
	}{
		{"MemoryStream.Read", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			w, r := streams.MemoryPair(total)
			if _, err := w.Write(ctx, make([]byte, total)); err != nil {
				return nil, nil, err
			}
			p := make([]byte, 1)
			return func(ctx context.Context) error { _, err := r.Read(ctx, p); return err },
				func() { w.Close(); r.Close() }, nil
		}},
		{"MemoryStream.Read at EOF", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			w, r := streams.MemoryPair(0)
			if err := w.CloseWrite(ctx); err != nil {
				return nil, nil, err
			}
			p := make([]byte, 1)
			return func(ctx context.Context) error {
					if _, err := r.Read(ctx, p); err != io.EOF {
						return fmt.Errorf("read %v; want io.EOF", err)
					}
					return nil
				},
				func() { w.Close(); r.Close() }, nil
		}},
		{"SocketStream.Read at EOF", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			a, b, err := tcpPair(ctx)
			if err != nil {
				return nil, nil, err
			}
			if err := a.(streams.HalfCloser).CloseWrite(ctx); err != nil {
				return nil, nil, err
			}
			p := make([]byte, 1)
			if _, err := b.Read(ctx, p); err != io.EOF { // waits for the FIN once
				return nil, nil, fmt.Errorf("first read %v; want io.EOF", err)
			}
			return func(ctx context.Context) error {
					if _, err := b.Read(ctx, p); err != io.EOF {
						return fmt.Errorf("read %v; want io.EOF", err)
					}
					return nil
				},
				func() { a.Close(); b.Close() }, nil
		}},
		{"SocketStream.Write after a failure", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			a, b, err := tcpPair(ctx)
			if err != nil {
				return nil, nil, err
			}
			if err := a.(streams.HalfCloser).CloseWrite(ctx); err != nil {
				return nil, nil, err
			}
			p := []byte{1}
			return func(ctx context.Context) error {
					if _, err := a.Write(ctx, p); !errors.Is(err, task.ErrClosedResource) {
						return fmt.Errorf("write %v; want ErrClosedResource", err)
					}
					return nil
				},
				func() { a.Close(); b.Close() }, nil
		}},
		{"MemoryStream.Write", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			w, r := streams.MemoryPair(total)
			p := []byte{1}
			return func(ctx context.Context) error { _, err := w.Write(ctx, p); return err },
				func() { w.Close(); r.Close() }, nil
		}},
		{"TLSStream.Read of buffered plaintext", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			c, s, err := tlsOver(memoryPair(1 << 16))(ctx)
			if err != nil {
				return nil, nil, err
			}
			if _, err := c.Write(ctx, bytes.Repeat([]byte("x"), total+1)); err != nil {
				return nil, nil, err
			}
			p := make([]byte, 1)
			// The first Read takes the record from the transport; every
			// later one is served from crypto/tls's plaintext.
			if _, err := s.Read(ctx, p); err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context) error { _, err := s.Read(ctx, p); return err },
				func() { c.Close(); s.Close() }, nil
		}},
		{"MemoryListener.Accept of a backlog", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			l := streams.NewMemoryListener(0)
			var clients []streams.Stream
			for range total {
				c, err := l.Dial(ctx)
				if err != nil {
					return nil, nil, err
				}
				clients = append(clients, c)
			}
			var accepted []streams.Stream
			return func(ctx context.Context) error {
					s, err := l.Accept(ctx)
					accepted = append(accepted, s)
					return err
				}, func() {
					for _, s := range append(clients, accepted...) {
						if s != nil {
							s.Close()
						}
					}
					l.Close()
				}, nil
		}},
		{"Conn.Read past its deadline", func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
			_, r := streams.MemoryPair(0)
			var c net.Conn // bound to the task that reads
			p := make([]byte, 1)
			return func(ctx context.Context) error {
					if c == nil {
						c = streams.Conn(ctx, r)
						c.SetReadDeadline(time.Now().Add(-time.Hour))
					}
					if _, err := c.Read(p); !errors.Is(err, os.ErrDeadlineExceeded) {
						return fmt.Errorf("read %v; want a deadline error", err)
					}
					return nil
				},
				func() { r.Close() }, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				op, cleanup, err := c.setup(ctx)
				if err != nil {
					return err
				}
				defer cleanup()
				return yieldsWithinBudget(t, ctx, total, op)
			})
		})
	}
}

// TestImmediateOperationsCancelled: the same operations fail with the
// cancellation error in a cancelled scope although they could complete
// (or would fail as busy). Each case sets up outside the scope and makes
// only the operation under test inside it.
func TestImmediateOperationsCancelled(t *testing.T) {
	type op = func(scoped context.Context) error
	cases := []struct {
		name string
		// setup prepares, with ctx, an operation that could complete at once.
		setup func(ctx context.Context, n *task.Nursery) (op, func(), error)
	}{
		{"MemoryStream.Read with bytes buffered", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			w, r := streams.MemoryPair(16)
			if _, err := w.Write(ctx, []byte("hello")); err != nil {
				return nil, nil, err
			}
			return func(scoped context.Context) error { _, err := r.Read(scoped, make([]byte, 8)); return err },
				func() { w.Close(); r.Close() }, nil
		}},
		{"MemoryStream.Read while another task reads", func(ctx context.Context, n *task.Nursery) (op, func(), error) {
			w, r := streams.MemoryPair(16)
			n.Go(func(ctx context.Context) error {
				r.Read(ctx, make([]byte, 1)) // parks until Close
				return nil
			})
			if err := task.WaitAllTasksBlocked(ctx); err != nil {
				return nil, nil, err
			}
			return func(scoped context.Context) error { _, err := r.Read(scoped, make([]byte, 1)); return err },
				func() { w.Close(); r.Close() }, nil
		}},
		{"MemoryStream.Write with room", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			w, r := streams.MemoryPair(16)
			return func(scoped context.Context) error { _, err := w.Write(scoped, []byte("hello")); return err },
				func() { w.Close(); r.Close() }, nil
		}},
		{"TLSStream.Read of buffered plaintext", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			c, s, err := tlsOver(memoryPair(1 << 16))(ctx)
			if err != nil {
				return nil, nil, err
			}
			cleanup := func() { c.Close(); s.Close() }
			if _, err := c.Write(ctx, []byte("hello")); err != nil {
				cleanup()
				return nil, nil, err
			}
			p := make([]byte, 1)
			if _, err := s.Read(ctx, p); err != nil {
				cleanup()
				return nil, nil, err
			}
			return func(scoped context.Context) error { _, err := s.Read(scoped, p); return err }, cleanup, nil
		}},
		{"TLSStream.CloseWrite repeated", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			c, s, err := tlsOver(memoryPair(1 << 16))(ctx)
			if err != nil {
				return nil, nil, err
			}
			cleanup := func() { c.Close(); s.Close() }
			if err := c.(streams.HalfCloser).CloseWrite(ctx); err != nil {
				cleanup()
				return nil, nil, err
			}
			return func(scoped context.Context) error { return c.(streams.HalfCloser).CloseWrite(scoped) }, cleanup, nil
		}},
		{"MemoryListener.Accept of a backlog", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			l := streams.NewMemoryListener(0)
			c, err := l.Dial(ctx)
			if err != nil {
				return nil, nil, err
			}
			var s streams.Stream
			return func(scoped context.Context) error {
					var err error
					s, err = l.Accept(scoped)
					return err
				}, func() {
					if s != nil {
						s.Close()
					}
					c.Close()
					l.Close()
				}, nil
		}},
		{"Conn.Read past its deadline", func(ctx context.Context, _ *task.Nursery) (op, func(), error) {
			_, r := streams.MemoryPair(0)
			return func(scoped context.Context) error {
				c := streams.Conn(scoped, r)
				c.SetReadDeadline(time.Now().Add(-time.Hour))
				_, err := c.Read(make([]byte, 1))
				return err
			}, func() { r.Close() }, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					call, cleanup, err := c.setup(ctx, n)
					if err != nil {
						return err
					}
					defer cleanup()
					var callErr error
					err = task.WithScope(ctx, func(scoped context.Context, s *task.Scope) error {
						s.Cancel()
						callErr = call(scoped)
						return callErr
					})
					if !errors.Is(callErr, task.ErrCancelled) {
						t.Errorf("%s in a cancelled scope: %v; want an error matching task.ErrCancelled", c.name, callErr)
					} else if err != nil {
						t.Errorf("the cancelled scope returned %v; want nil (it catches its own cancellation)", err)
					}
					return nil
				})
			})
		})
	}
}
