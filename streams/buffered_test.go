package streams_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// feed writes data to w in chunks of the given sizes (cycled), then
// half-closes it.
func feed(ctx context.Context, n *task.Nursery, w *streams.MemoryStream, data []byte, chunks []int) {
	n.Go(func(ctx context.Context) error {
		for i := 0; len(data) > 0; i++ {
			k := len(data)
			if len(chunks) > 0 {
				k = min(k, max(1, chunks[i%len(chunks)]))
			}
			if _, err := w.Write(ctx, data[:k]); err != nil {
				return nil // the reader gave up
			}
			data = data[k:]
		}
		return w.CloseWrite(ctx)
	})
}

func TestBufferedReaderLines(t *testing.T) {
	cases := []struct {
		name   string
		input  string
		chunks []int
		want   []string
		end    error
	}{
		{"one chunk", "a\nbb\r\nccc\n", nil, []string{"a", "bb", "ccc"}, io.EOF},
		{"byte by byte", "a\nbb\r\nccc\n", []int{1}, []string{"a", "bb", "ccc"}, io.EOF},
		{"unterminated last line", "a\nrest", []int{3}, []string{"a", "rest"}, io.ErrUnexpectedEOF},
		{"empty lines", "\n\n", nil, []string{"", ""}, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				w, r := streams.MemoryPair(0)
				return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					feed(ctx, n, w, []byte(c.input), c.chunks)
					br := streams.NewBufferedReader(r, 64)
					var got []string
					var err error
					for {
						var line []byte
						line, err = br.ReadLine(ctx)
						if line != nil || err == nil {
							got = append(got, string(line))
						}
						if err != nil {
							break
						}
					}
					if !errors.Is(err, c.end) {
						t.Errorf("ended with %v; want %v", err, c.end)
					}
					if len(got) != len(c.want) {
						t.Fatalf("lines %q; want %q", got, c.want)
					}
					for i := range got {
						if got[i] != c.want[i] {
							t.Errorf("line %d = %q; want %q", i, got[i], c.want[i])
						}
					}
					return nil
				})
			})
		})
	}
}

// 10 MiB without a newline: ErrTooLong, and the reader holds its max.
func TestBufferedReaderBoundsALongLine(t *testing.T) {
	run(t, func(ctx context.Context) error {
		w, r := streams.MemoryPair(64 << 10)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				chunk := bytes.Repeat([]byte("x"), 64<<10)
				for range 160 { // 10 MiB
					if _, err := w.Write(ctx, chunk); err != nil {
						return nil
					}
				}
				return w.Close()
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			br := streams.NewBufferedReader(r, 32<<10)
			_, err := br.ReadLine(ctx)
			if !errors.Is(err, streams.ErrTooLong) {
				t.Errorf("ReadLine of a 10 MiB line: %v; want ErrTooLong", err)
			}
			if br.Buffered() > 32<<10 {
				t.Errorf("buffered %d bytes; want at most the 32 KiB max", br.Buffered())
			}
			runtime.ReadMemStats(&after)
			if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 1<<20 {
				t.Errorf("reading allocated %d bytes; want about the 32 KiB max", grew)
			}
			r.Close()
			return nil
		})
	})
}

func TestBufferedReaderExactly(t *testing.T) {
	run(t, func(ctx context.Context) error {
		w, r := streams.MemoryPair(0)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			feed(ctx, n, w, []byte("0123456789"), []int{3})
			br := streams.NewBufferedReader(r, 16)
			if _, err := br.ReadExactly(ctx, 17); !errors.Is(err, streams.ErrTooLong) {
				t.Errorf("ReadExactly(17) with a max of 16: %v; want ErrTooLong", err)
			}
			if got, err := br.ReadExactly(ctx, 4); string(got) != "0123" || err != nil {
				t.Errorf("ReadExactly(4) = %q, %v", got, err)
			}
			p := make([]byte, 2)
			if k, err := br.Read(ctx, p); string(p[:k]) != "45" || err != nil {
				t.Errorf("Read = %q, %v", p[:k], err)
			}
			got, err := br.ReadExactly(ctx, 5)
			if string(got) != "6789" || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("ReadExactly(5) of the last 4 = %q, %v; want them and ErrUnexpectedEOF", got, err)
			}
			if _, err := br.ReadExactly(ctx, 1); err != io.EOF {
				t.Errorf("ReadExactly at the end: %v; want io.EOF", err)
			}
			return nil
		})
	})
}

// FuzzBufferedReader checks ReadUntil and ReadExactly against a model of
// the input: every record comes back whole and in order, ErrTooLong comes
// exactly when a record does not fit the max, and the end is reported
// with the rest.
func FuzzBufferedReader(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), []byte{3, 1}, uint8(8), []byte{0, 0, 1, 0})
	f.Add([]byte("xxxxxxxxxxxxxxxxxxxxxxxxx\nshort\n"), []byte{5}, uint8(16), []byte{0, 0})
	f.Add([]byte("0123456789"), []byte{2}, uint8(4), []byte{3, 5, 9})
	f.Fuzz(func(t *testing.T, data, chunkSizes []byte, maxSeed uint8, ops []byte) {
		limit := 16 + int(maxSeed)%48
		chunks := make([]int, len(chunkSizes))
		for i, c := range chunkSizes {
			chunks[i] = int(c)
		}
		if len(ops) > 64 {
			ops = ops[:64]
		}
		run(t, func(ctx context.Context) error {
			w, r := streams.MemoryPair(int(maxSeed) % 8)
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				defer r.Close() // the feeder stops when the reader does
				feed(ctx, n, w, data, chunks)
				br := streams.NewBufferedReader(r, limit)
				pos := 0
				for _, op := range ops {
					var got []byte
					var err error
					var want []byte
					var wantErr error
					rest := data[pos:]
					if op%2 == 0 { // ReadUntil '\n'
						got, err = br.ReadUntil(ctx, []byte("\n"))
						i := bytes.IndexByte(rest, '\n')
						switch {
						case i >= 0 && i+1 <= limit:
							want = rest[:i+1]
						case i >= 0 || len(rest) >= limit:
							wantErr = streams.ErrTooLong
						case len(rest) == 0:
							wantErr = io.EOF
						default:
							want, wantErr = rest, io.ErrUnexpectedEOF
						}
					} else { // ReadExactly
						k := int(op / 2)
						got, err = br.ReadExactly(ctx, k)
						switch {
						case k > limit:
							wantErr = streams.ErrTooLong
						case len(rest) >= k:
							want = rest[:k]
						case len(rest) == 0:
							wantErr = io.EOF
						default:
							want, wantErr = rest, io.ErrUnexpectedEOF
						}
					}
					if wantErr == nil && err != nil || wantErr != nil && !errors.Is(err, wantErr) {
						t.Fatalf("at %d (op %d): error %v; want %v", pos, op, err, wantErr)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("at %d (op %d): got %q; want %q", pos, op, got, want)
					}
					pos += len(got)
					if wantErr == streams.ErrTooLong && op%2 == 0 || wantErr == io.EOF {
						break // the model does not follow a reader past these
					}
				}
				return nil
			})
		})
	})
}
