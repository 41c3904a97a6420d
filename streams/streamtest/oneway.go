package streamtest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// oneWay is CheckOneWay's cases: a writes, b reads.
func oneWay(t *testing.T, pair, clogged Pair) {
	run(t, "WriteThenRead", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { writeAll(t, ctx, a, []byte("hello")); return nil })
			if got := readExactly(t, ctx, b, 5); string(got) != "hello" {
				t.Errorf("read %q; want %q", got, "hello")
			}
			return nil
		})
	})

	run(t, "ZeroLengthCalls", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		if n, err := a.Write(ctx, nil); n != 0 || err != nil {
			t.Errorf("Write(nil) = %d, %v; want 0, nil", n, err)
		}
		if n, err := b.Read(ctx, nil); n != 0 || err != nil {
			t.Errorf("Read(empty) = %d, %v; want 0, nil", n, err)
		}
	})

	run(t, "SecondReaderIsBusy", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			first := blockedRead(ctx, n, b, 10)
			err := atOnce(t, ctx, n, "a second Read while one is blocked", func(ctx context.Context) error {
				_, err := b.Read(ctx, make([]byte, 10))
				return err
			})
			wantErr(t, "a second Read while one is blocked", err, task.ErrBusyResource)
			stillBlocked(t, "the first Read", first)
			writeAll(t, ctx, a, []byte("x"))
			if err := result(t, ctx, first); err != nil {
				t.Errorf("the first Read, after a Write: %v; want data", err)
			}
			return nil
		})
	})

	run(t, "CloseWakesBlockedReader", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			r := blockedRead(ctx, n, b, 10)
			b.Close()
			wantErr(t, "a Read blocked when its stream closed", result(t, ctx, r), task.ErrClosedResource)
			return nil
		})
	})

	run(t, "CloseFromAnotherGoroutineWakesReader", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			r := blockedRead(ctx, n, b, 10)
			task.ToThread(ctx, func(context.Context) error { return b.Close() })
			wantErr(t, "a Read blocked when another goroutine closed its stream", result(t, ctx, r), task.ErrClosedResource)
			return nil
		})
	})

	run(t, "CallsAfterCloseFail", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("a second Close: %v; want nil (Close is idempotent)", err)
		}
		_, err := a.Write(ctx, []byte("x"))
		wantErr(t, "Write after Close", err, task.ErrClosedResource)
		b.Close()
		_, err = b.Read(ctx, make([]byte, 1))
		wantErr(t, "Read after Close", err, task.ErrClosedResource)
	})

	run(t, "GracefulCloseDeliversEverything", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		data := pattern(200_000, 1)
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				writeChunks(t, ctx, a, data, 2)
				return a.Close()
			})
			if got := readToEOF(t, ctx, b); !bytes.Equal(got, data) {
				t.Errorf("read %d bytes before EOF; want the %d written, in order", len(got), len(data))
			}
			if n, err := b.Read(ctx, make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("Read after EOF = %d, %v; want 0, io.EOF again", n, err)
			}
			return nil
		})
	})

	run(t, "ReaderCloseBreaksWriter", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		b.Close()
		chunk := make([]byte, 64<<10)
		var err error
		for i := 0; i < 10_000 && err == nil; i++ {
			_, err = a.Write(ctx, chunk)
		}
		wantErr(t, "Write after the reader closed", err, task.ErrBrokenResource)
		_, err = a.Write(ctx, chunk)
		wantErr(t, "a second Write after the reader closed", err, task.ErrBrokenResource)
		if err := a.Close(); err != nil {
			t.Errorf("Close of a broken stream: %v", err)
		}
	})

	run(t, "CancelledReadLeavesStreamUsable", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			var scope *task.Scope
			r := blocked(ctx, n, func(ctx context.Context) error {
				return task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
					scope = s
					_, err := b.Read(ctx, make([]byte, 10))
					return err
				})
			})
			scope.Cancel()
			if err := result(t, ctx, r); err != nil {
				t.Errorf("a cancelled Read: %v; want the cancellation, caught by its scope", err)
			}
			n.Go(func(ctx context.Context) error { writeAll(t, ctx, a, []byte("after")); return nil })
			if got := readExactly(t, ctx, b, 5); string(got) != "after" {
				t.Errorf("read %q after a cancelled Read; want %q", got, "after")
			}
			return nil
		})
	})

	run(t, "ReadInCancelledScopeFailsAtOnce", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		err := task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
			s.Cancel()
			_, err := b.Read(ctx, make([]byte, 1))
			wantErr(t, "Read in a cancelled scope", err, task.ErrCancelled)
			_, err = a.Write(ctx, []byte("x"))
			wantErr(t, "Write in a cancelled scope", err, task.ErrCancelled)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})

	if clogged == nil {
		return
	}

	run(t, "Clogged/SecondWriterIsBusy", clogged, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			w := blockedWrite(ctx, n, a)
			stillBlocked(t, "a Write to a clogged stream", w)
			err := atOnce(t, ctx, n, "a second Write while one is blocked", func(ctx context.Context) error {
				_, err := a.Write(ctx, []byte("x"))
				return err
			})
			wantErr(t, "a second Write while one is blocked", err, task.ErrBusyResource)
			n.Go(func(ctx context.Context) error { drain(ctx, b); return nil })
			if err := result(t, ctx, w); err != nil {
				t.Errorf("the blocked Write, once the reader reads: %v", err)
			}
			a.Close()
			return nil
		})
	})

	// A Write blocked on a clogged stream wakes when either end closes.
	for _, c := range []struct {
		name, what  string
		closeWriter bool // close the writing end (else the reading end)
		want        error
	}{
		{"Clogged/CloseWakesBlockedWriter", "a Write blocked when its stream closed", true, task.ErrClosedResource},
		{"Clogged/ReaderCloseBreaksBlockedWriter", "a Write blocked when the reader closed", false, task.ErrBrokenResource},
	} {
		run(t, c.name, clogged, func(t *checker, ctx context.Context, a, b streams.Stream) {
			task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				w := blockedWrite(ctx, n, a)
				if c.closeWriter {
					a.Close()
				} else {
					b.Close()
				}
				wantErr(t, c.what, result(t, ctx, w), c.want)
				return nil
			})
		})
	}

	run(t, "Clogged/CancelledWriteThenClose", clogged, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			var scope *task.Scope
			var wrote int
			w := blocked(ctx, n, func(ctx context.Context) error {
				return task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
					scope = s
					var err error
					wrote, err = a.Write(ctx, make([]byte, 1<<20))
					return err
				})
			})
			scope.Cancel()
			if err := result(t, ctx, w); err != nil {
				t.Errorf("a cancelled Write: %v; want the cancellation, caught by its scope", err)
			}
			if wrote > 0 {
				_, err := a.Write(ctx, []byte("x"))
				wantErr(t, "Write after a Write cancelled part-way", err, task.ErrBrokenResource)
			}
			if err := a.Close(); err != nil {
				t.Errorf("Close after a cancelled Write: %v", err)
			}
			return nil
		})
	})
}

// writeChunks writes data in chunks of seeded random sizes.
func writeChunks(t *checker, ctx context.Context, s streams.Stream, data []byte, seed uint64) {
	t.Helper()
	rng := newRand(seed)
	for len(data) > 0 {
		k := min(len(data), 1+rng.IntN(20_000))
		if !writeAll(t, ctx, s, data[:k]) {
			return
		}
		data = data[k:]
	}
}
