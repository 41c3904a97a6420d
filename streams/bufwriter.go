package streams

import (
	"context"
	"fmt"

	"github.com/f04742a6/reactor/task"
)

// BufferedWriter gathers small writes to a Stream in a buffer of a fixed
// size and hands them to the stream in one Write: when the buffer is
// full, and on Flush. It never holds more than its size: a write that
// does not fit fills the buffer, which is written, and a write larger
// than the buffer goes straight to the stream, uncopied. What the stream
// has not taken is only ever the buffer, so backpressure is the writing
// task waiting in Write or Flush, as with the stream itself.
//
// Every call is a checkpoint, also when it only copies into the buffer:
// it fails with the cancellation error in a cancelled scope, and it
// spends the task's fairness budget (a task yields at least once every
// 64 calls that did not write to the stream), so a long burst of replies
// cannot keep the loop.
//
// # Batching replies
//
// A server answers every complete request it has read, into the writer,
// and flushes once before it reads again: a pipeline of requests that
// arrived in one read costs one write, as in Redis.
//
//	w := streams.NewBufferedWriter(s, 16<<10)
//	buf := make([]byte, 64<<10)
//	for {
//		n, err := s.Read(ctx, buf) // one request, several, or part of one
//		if err != nil {
//			return err
//		}
//		for _, req := range parseComplete(buf[:n]) { // keep a partial request for the next read
//			if _, err := w.Write(ctx, reply(req)); err != nil { // a full buffer is written on the way
//				return err
//			}
//		}
//		if err := w.Flush(ctx); err != nil { // before a read that may wait: nothing is held back
//			return err
//		}
//	}
//
// Flush before every call that may wait for the peer: a client that waits
// for its replies before it sends more would otherwise wait for ever. A
// Read of the stream may wait; so may a BufferedReader call whose record
// is not whole in its buffer (its Buffered() == 0 is the sure case).
//
// Like the stream, a BufferedWriter is for one writing task at a time.
type BufferedWriter struct {
	s    Stream
	size int
	// buf holds what was written and not yet handed to the stream; it is
	// allocated at the first write that buffers, with capacity size.
	buf []byte
	// streamed is set when the current call wrote to the stream, whose
	// Write then was the call's checkpoint.
	streamed bool
}

// NewBufferedWriter returns a writer to s whose buffer holds at most
// size bytes (at least 16).
func NewBufferedWriter(s Stream, size int) *BufferedWriter {
	return &BufferedWriter{s: s, size: maxInt(size, 16)}
}

// Buffered returns how many bytes are buffered, written and not yet
// handed to the stream.
func (w *BufferedWriter) Buffered() int { return len(w.buf) }

// Available returns how many more bytes the buffer takes before a Write
// has to write to the stream.
func (w *BufferedWriter) Available() int { return w.size - len(w.buf) }

// Size returns the buffer's size.
func (w *BufferedWriter) Size() int { return w.size }

// Write writes p: into the buffer while it fits, writing the buffer to
// the stream each time it is full, and straight to the stream what is
// larger than the buffer. It returns len(p), or, with the error, how many
// bytes of p it took (buffered or written). When writing to the stream
// fails, the error says how many bytes were written and the ones the
// stream did not take stay buffered (Buffered): after a cancellation
// that wrote nothing, a later Flush can still send them; a stream broken
// part-way fails again.
func (w *BufferedWriter) Write(ctx context.Context, p []byte) (int, error) {
	if err := task.CheckCancelled(ctx, "BufferedWriter.Write"); err != nil {
		return 0, err
	}
	w.streamed = false
	n, err := w.write(ctx, p)
	w.finish(ctx)
	return n, err
}

func (w *BufferedWriter) write(ctx context.Context, p []byte) (int, error) {
	taken := 0
	for len(p) > w.size-len(w.buf) {
		if len(w.buf) == 0 { // larger than the buffer: straight through
			w.streamed = true
			n, err := w.s.Write(ctx, p)
			if err != nil {
				return taken + n, fmt.Errorf("streams: BufferedWriter.Write: wrote %d of %d bytes: %w", n, len(p), err)
			}
			return taken + n, nil
		}
		k := copy(w.buf[len(w.buf):w.size], p)
		w.buf, p, taken = w.buf[:len(w.buf)+k], p[k:], taken+k
		if err := w.flush(ctx, "BufferedWriter.Write"); err != nil {
			return taken, err
		}
	}
	if len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, w.size)
		}
		w.buf = append(w.buf, p...)
	}
	return taken + len(p), nil
}

// Flush hands everything buffered to the stream. If the stream fails,
// the error says how many bytes it took, and the rest stay buffered.
func (w *BufferedWriter) Flush(ctx context.Context) error {
	if err := task.CheckCancelled(ctx, "BufferedWriter.Flush"); err != nil {
		return err
	}
	w.streamed = false
	err := w.flush(ctx, "BufferedWriter.Flush")
	w.finish(ctx)
	return err
}

// flush writes the buffer to the stream, keeping what it did not take.
func (w *BufferedWriter) flush(ctx context.Context, op string) error {
	if len(w.buf) == 0 {
		return nil
	}
	w.streamed = true
	n, err := w.s.Write(ctx, w.buf)
	if err != nil {
		total := len(w.buf)
		w.buf = w.buf[:copy(w.buf, w.buf[n:])]
		return fmt.Errorf("streams: %s: wrote %d of %d buffered bytes (%d still buffered): %w", op, n, total, len(w.buf), err)
	}
	w.buf = w.buf[:0]
	return nil
}

// finish is the yield half of the call's checkpoint when the stream was
// not written (its Write was the checkpoint otherwise).
func (w *BufferedWriter) finish(ctx context.Context) {
	if !w.streamed {
		task.Progress(ctx)
	}
}
