package netsys

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestClassification(t *testing.T) {
	for _, c := range []struct {
		err                                                  error
		wouldBlock, inProgress, transient, exhausted, closed bool
	}{
		{syscall.EAGAIN, true, false, false, false, false},
		{syscall.EINPROGRESS, false, true, false, false, false},
		{syscall.ECONNABORTED, false, false, true, false, false},
		{syscall.ECONNRESET, false, false, true, false, false},
		{syscall.EPROTO, false, false, true, false, false},
		{syscall.EMFILE, false, false, false, true, false},
		{syscall.ENFILE, false, false, false, true, false},
		{syscall.ENOBUFS, false, false, false, true, false},
		{syscall.ENOMEM, false, false, false, true, false},
		{syscall.EBADF, false, false, false, false, true},
		{syscall.ENOTSOCK, false, false, false, false, true},
		{syscall.ECONNREFUSED, false, false, false, false, false},
		{errors.New("other"), false, false, false, false, false},
		{nil, false, false, false, false, false},
		// Wrapped: the classes that are not states look through wrapping.
		{fmt.Errorf("accept: %w", syscall.EMFILE), false, false, false, true, false},
		// A system's own number that means a portable one (Windows).
		{&mappedError{portable: syscall.ENOTSOCK, sys: syscall.Errno(10038)}, false, false, false, false, true},
	} {
		name := fmt.Sprint(c.err)
		if got := WouldBlock(c.err); got != c.wouldBlock {
			t.Errorf("WouldBlock(%s) = %v", name, got)
		}
		if got := InProgress(c.err); got != c.inProgress {
			t.Errorf("InProgress(%s) = %v", name, got)
		}
		if got := AcceptTransient(c.err); got != c.transient {
			t.Errorf("AcceptTransient(%s) = %v", name, got)
		}
		if got := AcceptExhausted(c.err); got != c.exhausted {
			t.Errorf("AcceptExhausted(%s) = %v", name, got)
		}
		if got := ClosedUnderfoot(c.err); got != c.closed {
			t.Errorf("ClosedUnderfoot(%s) = %v", name, got)
		}
	}
}

// A mapped error keeps the system's message and matches both numbers;
// errors.As to an Errno finds the portable one.
func TestMappedError(t *testing.T) {
	sys := syscall.Errno(10054) // WSAECONNRESET's number
	err := fmt.Errorf("read: %w", &mappedError{portable: syscall.ECONNRESET, sys: sys})
	if !errors.Is(err, syscall.ECONNRESET) || !errors.Is(err, sys) {
		t.Errorf("errors.Is misses a number of %v", err)
	}
	if got := Errno(err); got != syscall.ECONNRESET {
		t.Errorf("Errno = %v; want ECONNRESET", got)
	}
	if !strings.Contains(err.Error(), sys.Error()) {
		t.Errorf("message %q lost the system's %q", err, sys.Error())
	}
}

func TestUnsupportedError(t *testing.T) {
	err := unsupported("socket")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("%v does not match errors.ErrUnsupported", err)
	}
	want := "socket is not supported on " + runtime.GOOS + "/" + runtime.GOARCH
	if err.Error() != want {
		t.Errorf("message %q; want %q", err, want)
	}
}

type fakeNetwork struct{ Network }

func TestWithAndFrom(t *testing.T) {
	if _, ok := From(context.Background()).(OS); !ok {
		t.Errorf("From(a bare ctx) = %T; want OS", From(context.Background()))
	}
	f := fakeNetwork{}
	ctx := With(context.Background(), f)
	ctx, cancel := context.WithCancel(ctx) // derived ctxs keep it
	defer cancel()
	if got := From(ctx); got != Network(f) {
		t.Errorf("From(With(ctx, f)) = %T; want the fake", got)
	}
}
