package goroutines

import (
	"runtime"
	"strings"
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
