package streamtest

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// pattern returns n seeded pseudo-random bytes.
func pattern(n int, seed uint64) []byte {
	rng := newRand(seed)
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// readChunks reads len(want) bytes in reads of seeded random sizes and
// compares them.
func readChunks(t *checker, ctx context.Context, s streams.Stream, want []byte, seed uint64) {
	t.Helper()
	rng := newRand(seed)
	got := make([]byte, 0, len(want))
	buf := make([]byte, 20_000)
	for len(got) < len(want) {
		n, err := s.Read(ctx, buf[:1+rng.IntN(len(buf))])
		got = append(got, buf[:n]...)
		if err != nil {
			t.Errorf("Read after %d of %d bytes: %v", len(got), len(want), err)
			return
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("read %d bytes that differ from those written", len(got))
	}
}

// twoWay is CheckTwoWay's own cases.
func twoWay(t *testing.T, pair Pair) {
	run(t, "FullDuplex1MiB", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		ab, ba := pattern(1<<20, 3), pattern(1<<20, 4)
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { writeChunks(t, ctx, a, ab, 5); return nil })
			n.Go(func(ctx context.Context) error { writeChunks(t, ctx, b, ba, 6); return nil })
			n.Go(func(ctx context.Context) error { readChunks(t, ctx, b, ab, 7); return nil })
			n.Go(func(ctx context.Context) error { readChunks(t, ctx, a, ba, 8); return nil })
			return nil
		})
	})

	run(t, "ReaderAndWriterAreNotBusy", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			r := blockedRead(ctx, n, a, 1)
			// a is being read; writing it at the same time is full duplex.
			n.Go(func(ctx context.Context) error { readExactly(t, ctx, b, 2); return nil })
			writeAll(t, ctx, a, []byte("ok"))
			writeAll(t, ctx, b, []byte("!"))
			if err := result(t, ctx, r); err != nil {
				t.Errorf("the Read: %v", err)
			}
			return nil
		})
	})

	run(t, "CloseSendsEOFBothWays", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		a.Close()
		if n, err := b.Read(ctx, make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("Read after the other end closed = %d, %v; want 0, io.EOF", n, err)
		}
	})
}

// halfClose is CheckHalfCloseable's own cases.
func halfClose(t *testing.T, pair, clogged Pair) {
	halfClosers := func(t *checker, a, b streams.Stream) (streams.HalfCloser, streams.HalfCloser) {
		ha, ok1 := a.(streams.HalfCloser)
		hb, ok2 := b.(streams.HalfCloser)
		if !ok1 || !ok2 {
			t.Errorf("the pair's streams (%T, %T) are not streams.HalfCloser", a, b)
		}
		return ha, hb
	}

	run(t, "CloseWriteThenEOF", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		ha, _ := halfClosers(t, a, b)
		if ha == nil {
			return
		}
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				writeAll(t, ctx, a, []byte("last words"))
				if err := ha.CloseWrite(ctx); err != nil {
					t.Errorf("CloseWrite: %v", err)
				}
				if err := ha.CloseWrite(ctx); err != nil {
					t.Errorf("a second CloseWrite: %v; want nil", err)
				}
				_, err := a.Write(ctx, []byte("x"))
				wantErr(t, "Write after CloseWrite", err, task.ErrClosedResource)
				return nil
			})
			if got := readToEOF(t, ctx, b); string(got) != "last words" {
				t.Errorf("read %q before EOF; want %q", got, "last words")
			}
			return nil
		})
		// The other direction still works.
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { writeAll(t, ctx, b, []byte("reply")); return nil })
			if got := readExactly(t, ctx, a, 5); string(got) != "reply" {
				t.Errorf("read %q after CloseWrite; want %q", got, "reply")
			}
			return nil
		})
	})

	run(t, "CloseWriteAfterCloseFails", pair, func(t *checker, ctx context.Context, a, b streams.Stream) {
		ha, _ := halfClosers(t, a, b)
		if ha == nil {
			return
		}
		a.Close()
		wantErr(t, "CloseWrite after Close", ha.CloseWrite(ctx), task.ErrClosedResource)
	})

	if clogged == nil {
		return
	}
	run(t, "Clogged/CloseWriteDuringWriteIsBusy", clogged, func(t *checker, ctx context.Context, a, b streams.Stream) {
		ha, _ := halfClosers(t, a, b)
		if ha == nil {
			return
		}
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			w := blockedWrite(ctx, n, a)
			err := atOnce(t, ctx, n, "CloseWrite while a Write is blocked", ha.CloseWrite)
			wantErr(t, "CloseWrite while a Write is blocked", err, task.ErrBusyResource)
			a.Close()
			result(t, ctx, w)
			return nil
		})
	})
}
