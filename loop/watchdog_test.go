package loop

import (
	"bytes"
	"log/slog"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination the sampler's goroutine writes while
// the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

//go:noinline
func blockedInCallback(c chan struct{}) { <-c }

// The live report of a stuck callback says where it is stuck in a form a
// reader takes in at once: the program's own frames only, innermost first,
// one short attribute each ("stack.0=..."), the first being the line it
// is stuck on; "at" gives that line with its whole path. (Before: the
// whole goroutine dump, runtime frames and the loop's own included, as one
// escaped string.)
func TestWatchdogStackIsTheProgramsOwn(t *testing.T) {
	out := &lockedBuffer{}
	l := newLoop(t, WithLogger(slog.New(slog.NewTextHandler(out, nil))), WithSlowCallback(4*time.Millisecond))
	release := make(chan struct{})
	l.CallSoon(func() { blockedInCallback(release) })
	l.CallSoon(l.Stop)
	done := make(chan error)
	go func() { done <- l.Run() }()
	// The reports repeat at doubling intervals while the callback is stuck:
	// wait for one made once it had reached its blocking line (a loaded
	// machine may run the first before it gets there).
	liveReport := func() string {
		for line := range strings.Lines(out.String()) {
			if strings.Contains(line, "is blocking the event loop") && strings.Contains(line, `state="chan receive"`) {
				return line
			}
		}
		return ""
	}
	var live string
	for deadline := time.Now().Add(10 * time.Second); live == ""; live = liveReport() {
		if time.Now().After(deadline) {
			t.Fatalf("no live report of the callback stuck on its line within 10s:\n%s", out.String())
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pc := reflect.ValueOf(blockedInCallback).Pointer()
	file, line := runtime.FuncForPC(pc).FileLine(pc)
	for _, want := range []string{
		`stack.0="loop.blockedInCallback watchdog_test.go:` + strconv.Itoa(line) + `"`,
		`stack.1="loop.TestWatchdogStackIsTheProgramsOwn.func1 watchdog_test.go:`,
		`stack.2="loop.(*Loop).Run loop.go:`, // what the program called; not the loop's insides
		`stack.3="loop.TestWatchdogStackIsTheProgramsOwn.func2 watchdog_test.go:`,
		"at=" + file + ":" + strconv.Itoa(line) + " ",
		`state="chan receive"`,
	} {
		if !strings.Contains(live, want) {
			t.Errorf("live report lacks %s:\n%s", want, live)
		}
	}
	if strings.Contains(live, "stack.4=") || strings.Contains(live, "runBatch") {
		t.Errorf("live report shows frames beyond the program's:\n%s", live)
	}
}
