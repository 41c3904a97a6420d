package streams_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// recordingStream records the size of every Write that reaches the
// stream under it.
type recordingStream struct {
	streams.Stream
	writes []int
}

func (r *recordingStream) Write(ctx context.Context, p []byte) (int, error) {
	r.writes = append(r.writes, len(p))
	return r.Stream.Write(ctx, p)
}

// drainInto reads s until EOF into a buffer, in a task of n.
func drainInto(n *task.Nursery, s streams.Stream, into *bytes.Buffer) {
	n.Go(func(ctx context.Context) error {
		buf := make([]byte, 4096)
		for {
			k, err := s.Read(ctx, buf)
			into.Write(buf[:k])
			if err != nil {
				return nil
			}
		}
	})
}

// The buffer never holds more than its size: writes that fit are only
// copied, a write that does not fit fills the buffer and writes it, and
// what is larger than the buffer goes straight to the stream.
func TestBufferedWriterIsBounded(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(1 << 20)
		rec := &recordingStream{Stream: a}
		w := streams.NewBufferedWriter(rec, 64)
		var sent, got bytes.Buffer
		write := func(n int, wantBuffered int, wantWrites ...int) {
			t.Helper()
			p := bytes.Repeat([]byte{byte('a' + sent.Len()%26)}, n)
			sent.Write(p)
			if k, err := w.Write(ctx, p); k != n || err != nil {
				t.Fatalf("Write of %d bytes: %d, %v", n, k, err)
			}
			if w.Buffered() != wantBuffered || w.Buffered()+w.Available() != 64 {
				t.Errorf("after a write of %d: %d buffered, %d available; want %d buffered of 64", n, w.Buffered(), w.Available(), wantBuffered)
			}
			if !equalInts(rec.writes, wantWrites) {
				t.Errorf("after a write of %d: the stream got writes of %v; want %v", n, rec.writes, wantWrites)
			}
		}
		write(10, 10)
		write(54, 64)              // exactly full: still only buffered
		write(1, 1, 64)            // one more: the full buffer is written
		write(20, 21, 64)          //
		write(200, 0, 64, 64, 157) // fill the buffer (43), write it, and the rest (157) straight through
		write(64, 64, 64, 64, 157) // fits an empty buffer
		if err := w.Flush(ctx); err != nil {
			return err
		}
		if err := w.Flush(ctx); err != nil { // nothing buffered: no write
			return err
		}
		if want := []int{64, 64, 157, 64}; !equalInts(rec.writes, want) {
			t.Errorf("the stream got writes of %v; want %v", rec.writes, want)
		}
		if w.Size() != 64 {
			t.Errorf("Size() = %d; want 64", w.Size())
		}
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			drainInto(n, b, &got)
			a.Close()
			return nil
		})
		if err != nil {
			return err
		}
		if !bytes.Equal(got.Bytes(), sent.Bytes()) {
			t.Errorf("the peer got %d bytes; want the %d written, in order", got.Len(), sent.Len())
		}
		return nil
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Whatever the sizes of the writes and wherever the flushes fall, the
// peer reads the bytes in the order they were written, and no write to
// the stream is larger than the buffer unless it is the end of one
// caller's write, sent straight through.
func TestBufferedWriterKeepsOrder(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		run(t, func(ctx context.Context) error {
			a, b := streams.MemoryPair(rng.IntN(300))
			rec := &recordingStream{Stream: a}
			size := 16 + rng.IntN(200)
			w := streams.NewBufferedWriter(rec, size)
			var sent, got bytes.Buffer
			ends := map[int]bool{} // where the caller's writes end, in the stream
			err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				drainInto(n, b, &got)
				defer a.Close()
				for i := range 300 {
					p := make([]byte, rng.IntN(3*size))
					for j := range p {
						p[j] = byte(i + j)
					}
					sent.Write(p)
					ends[sent.Len()] = true
					if _, err := w.Write(ctx, p); err != nil {
						return err
					}
					if w.Buffered() > size {
						t.Fatalf("%d bytes buffered; the size is %d", w.Buffered(), size)
					}
					if rng.IntN(10) == 0 {
						if err := w.Flush(ctx); err != nil {
							return err
						}
					}
				}
				return w.Flush(ctx)
			})
			if err != nil {
				return err
			}
			if !bytes.Equal(got.Bytes(), sent.Bytes()) {
				t.Errorf("seed %d: the peer got %d bytes not in the order written (%d)", seed, got.Len(), sent.Len())
			}
			at := 0
			for _, k := range rec.writes {
				at += k
				if k > size && !ends[at] {
					t.Errorf("seed %d: a write of %d bytes, not the end of one of the caller's, reached the stream; the buffer is %d", seed, k, size)
				}
			}
			return nil
		})
	}
}

// Every call is a checkpoint: in a cancelled scope Write and Flush fail
// at once, even when the write would only be copied, and the buffer is
// left as it was; after the scope, a Flush sends it all.
func TestBufferedWriterCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(1 << 10)
		defer b.Close()
		w := streams.NewBufferedWriter(a, 64)
		if _, err := w.Write(ctx, []byte("kept")); err != nil {
			return err
		}
		var writeErr, flushErr, bigErr error
		task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
			s.Cancel()
			_, writeErr = w.Write(ctx, []byte("x"))
			_, bigErr = w.Write(ctx, make([]byte, 100))
			flushErr = w.Flush(ctx)
			return nil
		})
		for name, err := range map[string]error{"Write": writeErr, "Write (large)": bigErr, "Flush": flushErr} {
			if !errors.Is(err, task.ErrCancelled) || !strings.Contains(err.Error(), "BufferedWriter.") {
				t.Errorf("%s in a cancelled scope: %v; want an error matching task.ErrCancelled that names the call", name, err)
			}
		}
		if w.Buffered() != 4 {
			t.Errorf("%d bytes buffered after the cancelled calls; want the 4 before them", w.Buffered())
		}
		if err := w.Flush(ctx); err != nil {
			return err
		}
		got := make([]byte, 16)
		k, err := b.Read(ctx, got)
		if err != nil || string(got[:k]) != "kept" {
			t.Errorf("the peer read %q, %v; want \"kept\"", got[:k], err)
		}
		return nil
	})
}

// A flush cancelled while it waits for the peer to make room, before the
// stream took a byte, keeps everything buffered: the stream is not
// broken, and a later Flush (say, in a shielded goodbye) sends it.
func TestBufferedWriterFlushCancelledWhileWaiting(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(0) // lockstep: a write waits for the reader
		defer b.Close()
		w := streams.NewBufferedWriter(a, 64)
		if _, err := w.Write(ctx, []byte("hello")); err != nil {
			return err
		}
		var flushErr error
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				flushErr = w.Flush(ctx)
				return nil
			})
			if err := task.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			n.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if !errors.Is(flushErr, task.ErrCancelled) || !strings.Contains(flushErr.Error(), "wrote 0 of 5 buffered bytes") {
			t.Errorf("a cancelled Flush: %v; want a cancellation that says it wrote 0 of 5 bytes", flushErr)
		}
		if w.Buffered() != 5 {
			t.Errorf("%d bytes buffered after the cancelled Flush; want 5", w.Buffered())
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return w.Flush(ctx) })
			got := make([]byte, 16)
			k, err := b.Read(ctx, got)
			if err != nil || string(got[:k]) != "hello" {
				t.Errorf("the peer read %q, %v after a second Flush; want \"hello\"", got[:k], err)
			}
			return nil
		})
	})
}

// A flush that fails part-way says how many bytes the stream took, and
// keeps the rest buffered; the error names the call and wraps the
// stream's.
func TestBufferedWriterFailedFlushReportsBytesWritten(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(10) // the peer's buffer takes 10 bytes
		w := streams.NewBufferedWriter(a, 64)
		if _, err := w.Write(ctx, bytes.Repeat([]byte("x"), 30)); err != nil {
			return err
		}
		var flushErr error
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				flushErr = w.Flush(ctx)
				return nil
			})
			if err := task.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			b.Close() // the peer leaves without reading
			return nil
		})
		if err != nil {
			return err
		}
		if !errors.Is(flushErr, task.ErrBrokenResource) ||
			!strings.Contains(flushErr.Error(), "BufferedWriter.Flush: wrote 10 of 30 buffered bytes (20 still buffered)") {
			t.Errorf("a flush the peer broke after 10 bytes: %v; want a broken-resource error saying 10 of 30 were written", flushErr)
		}
		if w.Buffered() != 20 {
			t.Errorf("%d bytes buffered after the failed flush; want 20", w.Buffered())
		}
		// A write straight through that fails says the same.
		_, err = w.Write(ctx, make([]byte, 100))
		if !errors.Is(err, task.ErrBrokenResource) || !strings.Contains(err.Error(), "BufferedWriter.Write: wrote 0 of 64 buffered bytes") {
			t.Errorf("a write after the peer left: %v; want a broken-resource error from BufferedWriter.Write", err)
		}
		return nil
	})
}

// Writes that only copy into the buffer spend the fairness budget: a
// task writing a long burst of small replies does not keep the loop.
func TestBufferedWriterYieldsWithinBudget(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := streams.MemoryPair(1 << 20)
		defer a.Close()
		defer b.Close()
		w := streams.NewBufferedWriter(a, 1<<20)
		return yieldsWithinBudget(t, ctx, 1000, func(ctx context.Context) error {
			_, err := w.Write(ctx, []byte("+OK\r\n"))
			return err
		})
	})
}
