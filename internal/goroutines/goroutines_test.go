package goroutines

import (
	"strings"
	"testing"

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
	var found, self bool
	for _, tr := range All(1 << 20) {
		switch tr.ID {
		case id:
			found = true
			if tr.State != "chan receive" || !strings.Contains(string(tr.Text), "TestIDAndAll.func1") {
				t.Errorf("blocked goroutine: state %q, trace:\n%s", tr.State, tr.Text)
			}
		case me:
			self = tr.State == "running"
		}
	}
	if !found || !self {
		t.Fatalf("found the blocked goroutine: %v, the caller running: %v", found, self)
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
