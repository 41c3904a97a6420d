package goroutines

import (
	"log/slog"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestIDAndAll(t *testing.T) {
	release := make(chan struct{})
	ids := make(chan uint64)
	go func() {
		ids <- ID()
		<-release
	}()
	id := <-ids
	defer close(release)
	me := ID()
	if id == 0 || me == 0 || id == me {
		t.Fatalf("ids %d and %d", id, me)
	}
	// The goroutine sent its id and is on its way to the receive: look
	// until it is parked there (a bound only stops a broken test).
	var blocked *Trace
	self := false
	for deadline := time.Now().Add(10 * time.Second); blocked == nil && time.Now().Before(deadline); runtime.Gosched() {
		for _, tr := range All(1 << 20) {
			switch {
			case tr.ID == id && tr.State == "chan receive":
				blocked = &tr
			case tr.ID == me:
				self = tr.State == "running"
			}
		}
	}
	if blocked == nil || !self {
		t.Fatalf("found the blocked goroutine: %v, the caller running: %v", blocked != nil, self)
	}
	if !strings.Contains(string(blocked.Text), "TestIDAndAll.func1") {
		t.Errorf("blocked goroutine's trace:\n%s", blocked.Text)
	}
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		in    string
		id    uint64
		state string
		ok    bool
	}{
		{"goroutine 18 [running]:\nmain.main()", 18, "running", true},
		{"goroutine 7 [chan receive, 2 minutes]:", 7, "chan receive", true},
		{"goroutine x [running]:", 0, "", false},
		{"panic: boom", 0, "", false},
	} {
		id, state, ok := header([]byte(tc.in))
		if id != tc.id || state != tc.state || ok != tc.ok {
			t.Errorf("header(%q) = %d %q %v", tc.in, id, state, ok)
		}
	}
}

//go:noinline
func parkHere(c chan struct{}) { <-c }

// A goroutine's trace parses into its frames, innermost first; User keeps
// the program's own (here this test file's), so the first is the line it
// is stuck on; Attr logs them one short attribute each.
func TestFramesUserAttr(t *testing.T) {
	release := make(chan struct{})
	ids := make(chan uint64)
	go func() {
		ids <- ID()
		parkHere(release)
	}()
	id := <-ids
	defer close(release)
	var tr *Trace
	for deadline := time.Now().Add(10 * time.Second); tr == nil && time.Now().Before(deadline); runtime.Gosched() {
		for _, x := range All(1 << 20) {
			if x.ID == id && x.State == "chan receive" {
				tr = &x
			}
		}
	}
	if tr == nil {
		t.Fatal("the goroutine never parked in its receive")
	}
	frames := tr.Frames()
	if len(frames) < 2 {
		t.Fatalf("frames %v", frames)
	}
	pc := reflect.ValueOf(parkHere).Pointer()
	file, line := runtime.FuncForPC(pc).FileLine(pc)
	user := User(frames)
	want := Frame{Func: runtime.FuncForPC(pc).Name(), File: file, Line: line}
	if len(user) != 2 || user[0] != want || !strings.Contains(user[1].Func, "TestFramesUserAttr.func1") {
		t.Fatalf("User(%v) = %v, want %v first and its caller", frames, user, want)
	}
	if got, want := user[0].String(), "goroutines.parkHere goroutines_test.go:"+strconv.Itoa(line); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", Attr("stack", user, 1))
	if want := `stack.0="goroutines.parkHere goroutines_test.go:` + strconv.Itoa(line) + `" stack.more=1`; !strings.Contains(b.String(), want) {
		t.Errorf("logged %q, want %q", b.String(), want)
	}
}

func TestInternal(t *testing.T) {
	for _, tc := range []struct {
		f    Frame
		want bool
	}{
		{Frame{Func: "runtime.gopark", File: "/go/src/runtime/proc.go"}, true},
		{Frame{Func: "net/http.(*Client).Do", File: "/go/src/net/http/client.go"}, true},
		{Frame{Func: "iter.Pull[...].func1", File: "/go/src/iter/iter.go"}, true},
		{Frame{Func: "internal/poll.(*FD).Read", File: "/go/src/internal/poll/fd_unix.go"}, true},
		{Frame{Func: "main.main", File: "/src/app/main.go"}, false},
		{Frame{Func: "main.main.func1", File: "/src/app/main.go"}, false},
		{Frame{Func: "example.com/app/db.(*Store).Get", File: "/src/app/db/store.go"}, false},
		{Frame{Func: modulePrefix + "task.(*runner).runBody", File: "/m/task/task.go"}, true},
		{Frame{Func: modulePrefix + "loop.(*Loop).runBatch", File: "/m/loop/iterate.go"}, true},
		{Frame{Func: modulePrefix + "task.TestX.func1", File: "/m/task/x_test.go"}, false},
		{Frame{Func: modulePrefix + "task_test.Example", File: "/m/task/example_test.go"}, false},
	} {
		if got := Internal(tc.f); got != tc.want {
			t.Errorf("Internal(%v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	if modulePrefix != "github.com/f04742a6/reactor/" {
		t.Errorf("modulePrefix %q", modulePrefix)
	}
}

func TestFramesParse(t *testing.T) {
	text := "goroutine 7 [chan receive]:\n" +
		"runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)\n" +
		"\t/usr/local/go/src/runtime/proc.go:435 +0xce\n" +
		"main.wait(...)\n" +
		"\t/src/app/main.go:12\n" +
		"...additional frames elided...\n" +
		"created by main.main in goroutine 1\n" +
		"\t/src/app/main.go:5 +0x25"
	got := Trace{Text: []byte(text)}.Frames()
	want := []Frame{
		{"runtime.gopark", "/usr/local/go/src/runtime/proc.go", 435},
		{"main.wait", "/src/app/main.go", 12},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Frames() = %v, want %v", got, want)
	}
}

// User drops what runs above the program's code (the blocking call's
// insides) and below it (the library machinery that runs it).
func TestUserTrims(t *testing.T) {
	lib := modulePrefix + "task."
	frames := []Frame{
		{"internal/poll.(*FD).Read", "/go/src/internal/poll/fd_unix.go", 165},
		{"net.(*conn).Read", "/go/src/net/net.go", 194},
		{lib + "(*stream).fill", "/m/task/stream.go", 30}, // the library's, above the program's
		{"example.com/app.handle", "/src/app/app.go", 42},
		{lib + "(*Nursery).run", "/m/task/nursery.go", 120}, // in between: the outermost is kept
		{lib + "WithNursery", "/m/task/nursery.go", 90},
		{"example.com/app.serve", "/src/app/app.go", 20},
		{lib + "(*runner).runBody", "/m/task/task.go", 170},
		{"iter.Pull[...].func1", "/go/src/iter/iter.go", 80},
	}
	got := User(frames)
	if want := []Frame{frames[3], frames[5], frames[6]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("User() = %v, want %v", got, want)
	}
	if got := User(frames[:3]); len(got) != 3 {
		t.Fatalf("User() of library frames only = %v, want them all", got)
	}
}

//go:noinline
func lockHere(mu *sync.Mutex) { mu.Lock() }

// A goroutine stuck inside the standard library (here sync.Mutex.Lock,
// several frames of sync above the program's line) is reported at the
// program's line, with the library call it is in.
func TestStuckInLibraryCall(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	ids := make(chan uint64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ids <- ID()
		lockHere(&mu)
		mu.Unlock()
	}()
	id := <-ids
	defer func() { mu.Unlock(); <-done }()
	var tr *Trace
	for deadline := time.Now().Add(10 * time.Second); tr == nil && time.Now().Before(deadline); runtime.Gosched() {
		for _, x := range All(1 << 20) {
			if x.ID == id && x.State == "sync.Mutex.Lock" {
				tr = &x
			}
		}
	}
	if tr == nil {
		t.Fatal("the goroutine never blocked in Lock")
	}
	s := tr.Stuck()
	pc := reflect.ValueOf(lockHere).Pointer()
	file, line := runtime.FuncForPC(pc).FileLine(pc)
	if all := tr.Frames(); len(all) == 0 || all[0].Func == s.Stack[0].Func {
		t.Fatalf("frames %v: want the library's on top", all)
	}
	if s.At() != file+":"+strconv.Itoa(line) || s.Calls != "sync.(*Mutex).Lock" || s.State != "sync.Mutex.Lock" {
		t.Fatalf("Stuck() = %+v, at %s; want at %s:%d calling sync.(*Mutex).Lock", s, s.At(), file, line)
	}
}
