package streams

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/f04742a6/reactor/task"
)

// BufferedReader reads a Stream through a buffer that never holds more
// than its maximum: ReadLine, ReadUntil and ReadExactly fail with an
// error matching ErrTooLong instead of growing without bound, so a peer
// that sends 10 MiB without a newline costs max bytes, not 10 MiB.
//
// Every call is a checkpoint, also when the buffer serves it without
// reading the stream: it fails with the cancellation error in a cancelled
// scope even with data buffered, and it spends the task's fairness budget
// (a task yields at least once every 64 calls served from the buffer), so
// a burst of buffered lines from one peer cannot keep the loop.
//
// The slices ReadLine, ReadUntil and ReadExactly return alias the buffer:
// they are valid until the next call. Like the stream, a BufferedReader
// is for one reading task at a time.
type BufferedReader struct {
	s   Stream
	max int
	// buf[start:end] is read from s and not yet returned.
	// Invariant: 0 <= start <= end <= len(buf) == max.
	buf        []byte
	start, end int
	err        error // a sticky read error (io.EOF included), once buffered bytes run out
	// streamed is set when the current call read from the stream, whose
	// Read then was the call's checkpoint.
	streamed bool
}

// NewBufferedReader returns a reader of s whose buffer holds at most max
// bytes (at least 16).
func NewBufferedReader(s Stream, max int) *BufferedReader {
	max = maxInt(max, 16)
	return &BufferedReader{s: s, max: max}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Buffered returns how many bytes are buffered.
func (b *BufferedReader) Buffered() int { return b.end - b.start }

// Read reads into p from the buffer, or, when it is empty, straight from
// the stream (for len(p) at least the maximum) or through it.
func (b *BufferedReader) Read(ctx context.Context, p []byte) (int, error) {
	if err := b.begin(ctx, "BufferedReader.Read"); err != nil {
		return 0, err
	}
	n, err := b.read(ctx, p)
	b.finish(ctx)
	return n, err
}

// begin is the cancel half of every call's checkpoint: cancellation is
// seen even when the buffer could serve the call.
func (b *BufferedReader) begin(ctx context.Context, op string) error {
	b.streamed = false
	return task.CheckCancelled(ctx, op)
}

// finish is the yield half: a call served from the buffer alone (or that
// failed without reading) spends the fairness budget, so that a burst of
// buffered records cannot keep the loop. A call that read from the stream
// had its checkpoint there.
func (b *BufferedReader) finish(ctx context.Context) {
	if !b.streamed {
		task.Progress(ctx)
	}
}

func (b *BufferedReader) read(ctx context.Context, p []byte) (int, error) {
	if b.start < b.end {
		n := copy(p, b.buf[b.start:b.end])
		b.start += n
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) >= b.max || len(p) == 0 {
		b.streamed = true
		return b.s.Read(ctx, p)
	}
	if err := b.fill(ctx); err != nil {
		return 0, err
	}
	n := copy(p, b.buf[b.start:b.end])
	b.start += n
	return n, nil
}

// fill reads once from the stream into the buffer's free space, moving
// the buffered bytes to its front first if needed.
func (b *BufferedReader) fill(ctx context.Context) error {
	if b.buf == nil {
		b.buf = make([]byte, b.max)
	}
	if b.start > 0 {
		b.end = copy(b.buf, b.buf[b.start:b.end])
		b.start = 0
	}
	b.streamed = true
	n, err := b.s.Read(ctx, b.buf[b.end:])
	b.end += n
	if err != nil {
		if err == io.EOF {
			b.err = io.EOF
		}
		return err
	}
	return nil
}

// ReadUntil returns the bytes up to and including the first delim. If the
// stream ends first, it returns the rest and an error matching
// io.ErrUnexpectedEOF (io.EOF if there was no rest). If max bytes arrive
// without delim, it fails with ErrTooLong and the bytes stay buffered.
func (b *BufferedReader) ReadUntil(ctx context.Context, delim []byte) ([]byte, error) {
	if err := b.begin(ctx, "BufferedReader.ReadUntil"); err != nil {
		return nil, err
	}
	line, err := b.readUntil(ctx, delim)
	b.finish(ctx)
	return line, err
}

func (b *BufferedReader) readUntil(ctx context.Context, delim []byte) ([]byte, error) {
	if len(delim) == 0 {
		return nil, fmt.Errorf("streams: ReadUntil: empty delimiter")
	}
	searched := 0 // bytes already known not to start a match
	for {
		window := b.buf[b.start:b.end]
		if i := bytes.Index(window[searched:], delim); i >= 0 {
			line := window[:searched+i+len(delim)]
			b.start += len(line)
			return line, nil
		}
		searched = maxInt(0, len(window)-len(delim)+1)
		if len(window) >= b.max {
			return nil, fmt.Errorf("streams: ReadUntil %q: %w: no delimiter in %d bytes", delim, ErrTooLong, b.max)
		}
		if b.err != nil {
			return b.rest(b.err)
		}
		if err := b.fill(ctx); err != nil {
			if err == io.EOF {
				return b.rest(err)
			}
			return nil, err
		}
	}
}

// rest returns what is left when the stream ended before a full record.
func (b *BufferedReader) rest(err error) ([]byte, error) {
	if b.start == b.end {
		return nil, err
	}
	out := b.buf[b.start:b.end]
	b.start = b.end
	return out, fmt.Errorf("streams: %w", io.ErrUnexpectedEOF)
}

// ReadLine returns the next line without its "\n" (or "\r\n").
func (b *BufferedReader) ReadLine(ctx context.Context) ([]byte, error) {
	if err := b.begin(ctx, "BufferedReader.ReadLine"); err != nil {
		return nil, err
	}
	line, err := b.readUntil(ctx, []byte("\n"))
	b.finish(ctx)
	if err != nil {
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// ReadExactly returns the next n bytes. If the stream ends first, it
// returns what there was and an error matching io.ErrUnexpectedEOF (io.EOF
// if nothing). n beyond the maximum fails with ErrTooLong at once.
func (b *BufferedReader) ReadExactly(ctx context.Context, n int) ([]byte, error) {
	if err := b.begin(ctx, "BufferedReader.ReadExactly"); err != nil {
		return nil, err
	}
	out, err := b.readExactly(ctx, n)
	b.finish(ctx)
	return out, err
}

func (b *BufferedReader) readExactly(ctx context.Context, n int) ([]byte, error) {
	if n > b.max {
		return nil, fmt.Errorf("streams: ReadExactly %d: %w: the buffer holds %d", n, ErrTooLong, b.max)
	}
	for b.end-b.start < n {
		if b.err != nil {
			return b.rest(b.err)
		}
		if b.buf == nil || b.start > 0 || b.end < len(b.buf) {
			if err := b.fill(ctx); err != nil {
				if err == io.EOF {
					return b.rest(err)
				}
				return nil, err
			}
		}
	}
	out := b.buf[b.start : b.start+n]
	b.start += n
	return out, nil
}
