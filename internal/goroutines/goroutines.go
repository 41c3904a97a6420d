// Package goroutines reads goroutine ids and stacks from the runtime's
// stack traces: what the watchdogs of package loop and task need to show
// the line a blocked loop is stuck on (Frames, trimmed to the program's
// own with User, logged readably with Attr), and what package task needs
// to find the task running on the calling goroutine. Go has no goroutine-local
// state and no public goroutine id; the trace header ("goroutine 18
// [running]:") is the documented, stable way to get both.
package goroutines

import (
	"bytes"
	"log/slog"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// ID returns the calling goroutine's id. It costs about 2 µs (a stack
// trace of the caller, cut short): keep it off hot paths.
func ID() uint64 {
	var buf [64]byte
	id, _, _ := header(buf[:runtime.Stack(buf[:], false)])
	return id
}

// Trace is one goroutine's entry in a dump of all of them.
type Trace struct {
	ID    uint64
	State string // "running", "coroutine", "chan receive", "sync.Mutex.Lock", ...
	Text  []byte // the whole entry: header, frames
}

// All returns every goroutine's trace (the world stops while it is taken:
// for reports, not for polling). maxBytes bounds the dump; entries past it
// are cut off.
func All(maxBytes int) []Trace {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxBytes {
			buf = buf[:n]
			break
		}
		buf = make([]byte, min(2*len(buf), maxBytes))
	}
	var out []Trace
	for len(buf) > 0 {
		entry := buf
		if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
			entry, buf = buf[:i], buf[i+2:]
		} else {
			buf = nil
		}
		if id, state, ok := header(entry); ok {
			out = append(out, Trace{ID: id, State: state, Text: entry})
		}
	}
	return out
}

// header parses "goroutine 18 [chan receive, 2 minutes]:".
func header(b []byte) (id uint64, state string, ok bool) {
	b, ok = bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0, "", false
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return 0, "", false
	}
	id, err := strconv.ParseUint(string(b[:sp]), 10, 64)
	if err != nil {
		return 0, "", false
	}
	rest := b[sp+1:]
	if len(rest) > 0 && rest[0] == '[' {
		end := bytes.IndexAny(rest, ",]")
		if end > 0 {
			state = string(rest[1:end])
		}
	}
	return id, state, true
}

// Frame is one call on a goroutine's stack.
type Frame struct {
	Func string // as the runtime names it: "net/http.(*Client).Do", "main.main.func1"
	File string // as built: an absolute path, or a module path with -trimpath
	Line int
}

// Pos is the frame's "file:line", with the whole path (terminals and
// editors jump to it).
func (f Frame) Pos() string { return f.File + ":" + strconv.Itoa(f.Line) }

// String is the frame, short: the function without its package's
// directory, and the file without its own ("http.(*Client).Do
// client.go:590").
func (f Frame) String() string {
	return shortFunc(f.Func) + " " + path.Base(filepath.ToSlash(f.File)) + ":" + strconv.Itoa(f.Line)
}

// Frames returns the trace's calls, innermost first. The "created by"
// entry (where the goroutine was started, not a call on its stack) is
// left out.
func (t Trace) Frames() []Frame {
	lines := strings.Split(string(t.Text), "\n")
	var out []Frame
	for i := 1; i+1 < len(lines); i++ { // lines[0] is the header
		fn := lines[i]
		if strings.HasPrefix(fn, "created by ") {
			break
		}
		pos, ok := strings.CutPrefix(lines[i+1], "\t")
		if !ok || strings.HasPrefix(fn, "\t") {
			continue // "...additional frames elided...", or a line out of step
		}
		i++
		if p := strings.LastIndexByte(fn, '('); p > 0 {
			fn = fn[:p] // the arguments
		}
		if sp := strings.IndexByte(pos, ' '); sp >= 0 {
			pos = pos[:sp] // " +0x1d", the offset in the function
		}
		file, line := pos, 0
		if c := strings.LastIndexByte(pos, ':'); c > 0 {
			if n, err := strconv.Atoi(pos[c+1:]); err == nil {
				file, line = pos[:c], n
			}
		}
		out = append(out, Frame{Func: fn, File: file, Line: line})
	}
	return out
}

// Internal reports whether f runs code that is not the program's own: the
// Go runtime and standard library, or this module's library code (its
// tests and commands are programs of their own, so they count as the
// program's).
func Internal(f Frame) bool {
	pkg := funcPackage(f.Func)
	switch {
	case pkg == "main":
		return false
	case standard(pkg):
		return true
	}
	return strings.HasPrefix(pkg, modulePrefix) && !strings.HasSuffix(f.File, "_test.go")
}

// User returns the program's part of a stack: from the first frame of the
// program's own code to the last. It leaves out what runs above it (the
// insides of a blocking call: the runtime, the standard library, this
// module) and below it (the machinery that started the goroutine: a
// task's coroutine, the loop), and of each run of such frames in between
// it keeps the outermost only: the call the program made
// ("task.WithScope", "loop.(*Loop).Run"), not the library's insides. The
// first frame is then the line the program is at. With no frame of the
// program's own, it returns frames.
func User(frames []Frame) []Frame {
	first, last, ok := userBounds(frames)
	if !ok {
		return frames
	}
	return collapse(frames[first:last])
}

// collapse keeps, of each run of internal frames, the outermost.
func collapse(frames []Frame) []Frame {
	var out []Frame
	for i, f := range frames {
		if Internal(f) && i+1 < len(frames) && Internal(frames[i+1]) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// userBounds returns where the program's part of frames starts and ends;
// ok is false if no frame is the program's.
func userBounds(frames []Frame) (first, last int, ok bool) {
	for i, f := range frames {
		if !Internal(f) {
			if !ok {
				first, ok = i, true
			}
			last = i + 1
		}
	}
	return first, last, ok
}

// Stuck says where a goroutine is, for a report of one that blocks others
// (the watchdogs'): the program's own frames, and what they called.
type Stuck struct {
	State string  // what it waits in: "chan receive", "sleep", "sync.Mutex.Lock"; "running"
	Stack []Frame // the program's frames (see User), innermost first
	Calls string  // the call the innermost of them is in ("time.Sleep"), if it is not the program's own
}

// Stuck returns where the goroutine of t is.
func (t Trace) Stuck() Stuck {
	all := t.Frames()
	first, last, ok := userBounds(all)
	if !ok {
		return Stuck{State: t.State, Stack: all}
	}
	s := Stuck{State: t.State, Stack: collapse(all[first:last])}
	if first > 0 {
		s.Calls = shortFunc(all[first-1].Func)
	}
	return s
}

// At is the line the program is at: the innermost of its frames, with
// the whole path ("/src/app/main.go:42"); "" if the stack is empty.
func (s Stuck) At() string {
	if len(s.Stack) == 0 {
		return ""
	}
	return s.Stack[0].Pos()
}

// MaxFrames is how many frames a report gives (Attrs).
const MaxFrames = 12

// Attrs are the log attributes of a report: "state" (left out while the
// goroutine runs), "at", "calls" and "stack" (see Attr), each left out
// when empty.
func (s Stuck) Attrs() []any {
	var attrs []any
	if s.State != "" && s.State != "running" {
		attrs = append(attrs, slog.String("state", s.State))
	}
	if at := s.At(); at != "" {
		attrs = append(attrs, slog.String("at", at))
	}
	if s.Calls != "" {
		attrs = append(attrs, slog.String("calls", s.Calls))
	}
	if len(s.Stack) > 0 {
		attrs = append(attrs, Attr("stack", s.Stack, MaxFrames))
	}
	return attrs
}

// Attr returns frames as a slog group named key, one short attribute per
// frame ("0": "pkg.Func file.go:12", "1": its caller, ...), which log
// handlers print readably (a stack in one string comes out escaped, on
// one line). At most max frames are given; "more" says how many were
// left out.
func Attr(key string, frames []Frame, max int) slog.Attr {
	n := min(len(frames), max)
	attrs := make([]any, 0, n+1)
	for i, f := range frames[:n] {
		attrs = append(attrs, slog.String(strconv.Itoa(i), f.String()))
	}
	if len(frames) > n {
		attrs = append(attrs, slog.Int("more", len(frames)-n))
	}
	return slog.Group(key, attrs...)
}

// modulePrefix is this module's path and a slash
// ("github.com/f04742a6/reactor/"), found from this package's own path.
var modulePrefix = strings.TrimSuffix(reflect.TypeFor[Trace]().PkgPath(), "internal/goroutines")

// mainModule is the program's main module when its path has no dot (a
// module named "myapp"): its packages look like the standard library's.
var mainModule = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && !strings.Contains(bi.Main.Path, ".") {
		return bi.Main.Path
	}
	return ""
}()

// standard reports whether pkg is in the Go distribution: its first path
// element has no dot, as the go command decides it ("runtime",
// "net/http", "internal/poll", "vendor/golang.org/x/net/...").
func standard(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	if strings.Contains(first, ".") {
		return false
	}
	if mainModule != "" && (pkg == mainModule || strings.HasPrefix(pkg, mainModule+"/")) {
		return false
	}
	return true
}

// funcPackage returns the package path of a function the runtime names:
// "net/http" for "net/http.(*Client).Do".
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// shortFunc drops the directory of the function's package:
// "http.(*Client).Do".
func shortFunc(fn string) string {
	return fn[strings.LastIndexByte(fn, '/')+1:]
}
