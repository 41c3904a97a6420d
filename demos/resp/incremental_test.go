package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// delRequest is DEL with n one-byte keys: 7 bytes an argument
// ("$1\r\nx\r\n"), the shape of a large request in small pieces.
func delRequest(n int) []byte {
	b := appendArrayHeader(nil, n+1)
	b = append(b, "$3\r\nDEL\r\n"...)
	for range n {
		b = append(b, "$1\r\nx\r\n"...)
	}
	return b
}

// serveChunks runs one session on a lockstep memory pair: the client
// writes req in the given pieces (each taken by the server before the
// next is written), closes its writing half and reads everything the
// server sends. It returns what the server sent and how long it took.
func serveChunks(t testing.TB, pieces [][]byte) (string, time.Duration) {
	t.Helper()
	var got string
	start := time.Now()
	err := task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(0)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				(&server{db: newStore()}).serveConn(ctx, a) // its error is what it sent
				return nil
			})
			n.Go(func(ctx context.Context) error {
				for _, p := range pieces {
					if _, err := b.Write(ctx, p); err != nil {
						return nil // the server closed: it said why
					}
				}
				b.CloseWrite(ctx)
				return nil
			})
			var err error
			got, err = readAll(ctx, b)
			b.Close()
			return err
		})
	}, task.WithSlowTask(0))
	if err != nil {
		t.Fatal(err)
	}
	return got, time.Since(start)
}

// split cuts b into pieces of size bytes (the last may be shorter).
func split(b []byte, size int) [][]byte {
	var out [][]byte
	for len(b) > size {
		out = append(out, b[:size])
		b = b[size:]
	}
	return append(out, b)
}

// A large request that trickles in costs about what it costs sent at
// once: the parse goes on from where the last read left it, so its cost
// is linear in the bytes received, whatever their chunking. (Parsing
// again from the request's start on every read made 100,000 arguments in
// 1 KiB pieces cost about 30 times the same request sent at once.)
func TestTrickledRequestCostsAboutTheSame(t *testing.T) {
	req := delRequest(100_000)                    // 700 KB
	best := func(pieces [][]byte) time.Duration { // the least CPU time of 3 runs
		d := time.Duration(1 << 62)
		for range 3 {
			t0 := cpuTime()
			got, _ := serveChunks(t, pieces)
			if got != ":0\r\n" {
				t.Fatalf("reply %q; want :0", got)
			}
			d = min(d, cpuTime()-t0)
		}
		return d
	}
	once := best([][]byte{req})
	trickled := best(split(req, 1<<10))
	ratio := float64(trickled) / float64(once)
	t.Logf("100,000 arguments (%d bytes): at once %v, in 1 KiB pieces %v (%.2fx)", len(req), once, trickled, ratio)
	if ratio > 3 {
		t.Errorf("in 1 KiB pieces the request cost %.1fx what it costs at once; want at most 3x", ratio)
	}
}

// The replies and the end of a session depend on the bytes the client
// sent, not on how they were cut: every input, sent at once or in random
// pieces, gets the same bytes back.
func TestChunkingDoesNotChangeReplies(t *testing.T) {
	inputs := chunkingSeeds()
	for i, in := range inputs {
		want, _ := serveChunks(t, [][]byte{in})
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		for _, size := range []int{1, 7, 4096, 60000} {
			var pieces [][]byte
			for rest := in; len(rest) > 0; {
				n := min(len(rest), 1+rng.IntN(size))
				pieces, rest = append(pieces, rest[:n]), rest[n:]
			}
			if got, _ := serveChunks(t, pieces); got != want {
				t.Errorf("input %d (%.40q...) in pieces of up to %d bytes: the server sent %.80q; sent at once, %.80q",
					i, in, size, got, want)
			}
		}
	}
}

// chunkingSeeds are inputs, valid and not, whose parse must not depend
// on where reads cut them.
func chunkingSeeds() [][]byte {
	var c client
	c.queue("SET", "k", "v")
	c.queue("GET", "k")
	c.queue("ECHO", strings.Repeat("e", 70000))
	ok := c.out
	seeds := []string{
		string(ok),
		string(ok) + "PING\r\nECHO a b\r\n",
		"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPINGxx",
		"*2\r\n$4\r\nECHO\r\n$+5\r\nhello\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n007\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n",
		"*1\r\n$" + strings.Repeat("0", 31) + "4\r\nPING\r\n",
		"ECHO " + strings.Repeat("i", maxInline-5) + "\r\n", // a line of exactly maxInline bytes
		"ECHO " + strings.Repeat("i", maxInline-4) + "\r\n", // one more
		"ECHO " + strings.Repeat("i", maxInline-5) + "\n",
		"ECHO " + strings.Repeat("i", maxInline-5) + "\rx\n",
	}
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = []byte(s)
	}
	return out
}

var _ = bytes.Equal
var _ = fmt.Sprint
var _ = strconv.Itoa

// An inline command may be 64 KiB long, as in Redis, however it arrives:
// a line of exactly maxInline bytes (its "\r\n" not counted) runs, one
// byte more is refused. (The buffer used to fill at 64 KiB, terminator
// included, and refuse the longest allowed line over a socket.)
func TestInlineLimitOverTheConnection(t *testing.T) {
	line := "ECHO " + strings.Repeat("i", maxInline-5)
	for _, size := range []int{0, 1000} {
		req := []byte(line + "\r\nPING\r\n")
		pieces := [][]byte{req}
		if size > 0 {
			pieces = split(req, size)
		}
		got, _ := serveChunks(t, pieces)
		if want := "$" + strconv.Itoa(maxInline-5) + "\r\n" + line[5:] + "\r\n+PONG\r\n"; got != want {
			t.Errorf("a %d-byte inline command in pieces of %d: the server sent %.60q; want %.60q", len(line), size, got, want)
		}
		got, _ = serveChunks(t, [][]byte{[]byte(line + "i\r\nPING\r\n")})
		if want := "-ERR Protocol error: too big inline request\r\n"; got != want {
			t.Errorf("a %d-byte inline command: the server sent %.60q; want %q", len(line)+1, got, want)
		}
	}
}

// BenchmarkTrickledRequest measures what a large request of small
// arguments costs, DEL with 1,048,575 one-byte keys (7.3 MB), sent at
// once and in pieces (lockstep: every piece is one read of the server),
// in CPU time of the whole process: it reports both and their ratio.
// The process's time includes the client task's and a task switch each
// way per piece; BenchmarkParseTrickled isolates the parse.
//
//	go test -run '^$' -bench TrickledRequest -benchtime 1x ./demos/resp/
func BenchmarkTrickledRequest(b *testing.B) {
	req := delRequest(maxArgs - 1)
	for _, size := range []int{7, 64, 1 << 10} {
		b.Run(fmt.Sprintf("pieces=%dB", size), func(b *testing.B) {
			pieces := split(req, size)
			var once, trickled time.Duration
			for range b.N {
				t0 := cpuTime()
				if got, _ := serveChunks(b, [][]byte{req}); got != ":0\r\n" {
					b.Fatalf("reply %q", got)
				}
				t1 := cpuTime()
				if got, _ := serveChunks(b, pieces); got != ":0\r\n" {
					b.Fatalf("reply %q", got)
				}
				t2 := cpuTime()
				once, trickled = once+t1-t0, trickled+t2-t1
			}
			b.ReportMetric(once.Seconds()/float64(b.N), "cpu-s-at-once")
			b.ReportMetric(trickled.Seconds()/float64(b.N), "cpu-s-trickled")
			b.ReportMetric(float64(trickled)/float64(once), "ratio")
		})
	}
}

// BenchmarkParseTrickled measures the parse alone on the same request:
// given its bytes at once, and given them 7 bytes (one argument) more at
// every call, as a server reading one argument at a time would. It
// reports the CPU of each and their ratio: what keeping the place
// between reads buys (parsing from the start each time is quadratic).
func BenchmarkParseTrickled(b *testing.B) {
	req := delRequest(maxArgs - 1)
	var once, trickled time.Duration
	for range b.N {
		var p parser
		t0 := cpuTime()
		if args, n, err := p.parse(req, nil); n != len(req) || err != nil || len(args) != maxArgs {
			b.Fatalf("at once: %d arguments, %d bytes, %v", len(args), n, err)
		}
		t1 := cpuTime()
		var args [][]byte
		n, err := 0, error(nil)
		for end := 7; n == 0 && err == nil; end = min(end+7, len(req)) {
			args, n, err = p.parse(req[:end], args)
		}
		t2 := cpuTime()
		if n != len(req) || err != nil || len(args) != maxArgs {
			b.Fatalf("in pieces: %d arguments, %d bytes, %v", len(args), n, err)
		}
		once += t1 - t0
		trickled += t2 - t1
	}
	b.ReportMetric(once.Seconds()/float64(b.N), "cpu-s-at-once")
	b.ReportMetric(trickled.Seconds()/float64(b.N), "cpu-s-trickled")
	b.ReportMetric(float64(trickled)/float64(once), "ratio")
}

// parseOutcome is what parsing a byte stream gives: the requests, in
// order, then how it ended (the error, or how many bytes of a partial
// request wait).
type parseOutcome struct {
	requests []string
	end      string
}

func (o *parseOutcome) add(args [][]byte) {
	o.requests = append(o.requests, fmt.Sprintf("%q", args))
}

// parseAtOnce parses in, whole, with a fresh parser for each request.
func parseAtOnce(in []byte) parseOutcome {
	var o parseOutcome
	for len(in) > 0 {
		var p parser
		args, n, err := p.parse(in, nil)
		if err != nil {
			o.end = err.Error()
			return o
		}
		if n == 0 {
			break
		}
		o.add(args)
		in = in[n:]
	}
	o.end = fmt.Sprintf("%d bytes wait", len(in))
	return o
}

// parseInPieces parses in as a server reads it, in the pieces cuts
// makes, with one parser that keeps its place; between pieces the bytes
// waiting are sometimes moved (a buffer compacted or grown).
func parseInPieces(in []byte, cuts []int, rng *rand.Rand) parseOutcome {
	var o parseOutcome
	var p parser
	var args [][]byte
	pending := []byte{}
	for i, at := 0, 0; at < len(in); i++ {
		next := len(in)
		if i < len(cuts) {
			next = min(len(in), at+cuts[i])
		}
		pending = append(pending, in[at:next]...)
		at = next
		for len(pending) > 0 {
			var n int
			var err error
			args, n, err = p.parse(pending, args)
			if err != nil {
				o.end = err.Error()
				return o
			}
			if n == 0 {
				break
			}
			o.add(args)
			pending = pending[n:]
		}
		if rng.IntN(64) == 0 {
			pending = append(make([]byte, 0, len(pending)+rng.IntN(64)), pending...)
		}
	}
	o.end = fmt.Sprintf("%d bytes wait", len(pending))
	return o
}

// Parsing a request in pieces, keeping the place between them, gives the
// requests and the error that parsing it whole gives, wherever the cuts
// fall. The seeds run in every test run; the large inputs are
// TestParseInPiecesLargeInputs' (the fuzzing engine is slow on them).
func FuzzParseInPieces(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
		"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\nPING\r\n\r\nSET a  b\tc\n",
		"*0\r\n*-1\r\n*1\r\n$0\r\n\r\n",
		"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPINGxx",
		"*2\r\n$4\r\nECHO\r\n$+5\r\nhello\r\n",
		"*1\r\n$04\r\nPING\r\n",
		"*1\r\n$" + strings.Repeat("0", 31) + "4\r\nPING\r\n",
		"*1\r\n$-3\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + strconv.Itoa(maxBulk) + "\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + strconv.Itoa(maxBulk+1) + "\r\n",
		"*1\r\n$" + strings.Repeat("9", 40),
		"*1\n",
		"*2\r\n$3\r\nGET\r\n:1\r\n",
		"*" + strconv.Itoa(maxArgs+1) + "\r\n",
		"*" + strconv.Itoa(maxArgs) + "\r\n$1\r\nx\r\n",
		"PING\r\nECHO a\rb\r\n\n",
	} {
		f.Add([]byte(s), uint64(2))
	}
	f.Fuzz(checkInPieces)
}

// The large inputs of the parse in pieces: at and past the limits.
func TestParseInPiecesLargeInputs(t *testing.T) {
	inputs := chunkingSeeds()
	for _, s := range []string{
		strings.Repeat("a", maxInline) + "\r",
		strings.Repeat("a", maxInline+1),
		"*3\r\n$4\r\nMGET\r\n$" + strconv.Itoa(maxBulk) + "\r\n" + strings.Repeat("v", maxBulk) + "\r\n$" + strconv.Itoa(maxBulk) + "\r\n",
	} {
		inputs = append(inputs, []byte(s))
	}
	for i, in := range inputs {
		checkInPieces(t, in, uint64(i))
	}
}

// checkInPieces checks in parsed in pieces of random sizes (up to 1, 3,
// 16 and 4096 bytes) against in parsed whole.
func checkInPieces(t *testing.T, in []byte, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	want := parseAtOnce(in)
	for _, most := range []int{1, 3, 16, 1 << 12} {
		var cuts []int // covering in, or its first 64 Ki pieces
		for sum := 0; sum < len(in) && len(cuts) < 1<<16; {
			cuts = append(cuts, 1+rng.IntN(most))
			sum += cuts[len(cuts)-1]
		}
		got := parseInPieces(in, cuts, rng)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%.60q cut in pieces %v...: %.200v; parsed whole: %.200v", in, cuts[:min(len(cuts), 8)], got, want)
		}
	}
}
