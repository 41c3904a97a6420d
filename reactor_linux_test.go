package reactor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// backends lists the Linux pollers the contract tests run over.
func backends() []backend {
	return []backend{
		{"epoll", New},
	}
}

// TestStaleEventForReusedFDDropped makes the kernel report an event for a
// file description whose fd number now belongs to someone else: the old
// description lives on through a dup, so epoll keeps its entry even after
// the fd was closed. The generation tag must drop that event.
func TestStaleEventForReusedFDDropped(t *testing.T) {
	p := newPoller(t, backend{"epoll", New})
	a, b := socketPair(t)
	if err := p.Register(a); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, a, Writable)
	dup, err := unix.Dup(int(a))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dup)
	sockClose(a)
	if err := p.Unregister(a); err != nil { // EPOLL_CTL_DEL fails: fd closed
		t.Fatal(err)
	}
	// Reuse fd number a for a new socket.
	c, d := socketPair(t)
	if c != a {
		if err := unix.Dup2(int(c), int(a)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sockClose(a) })
	}
	_ = d
	if err := p.Register(a); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, a, Writable)
	p.Consume(a, Writable)
	// Make the old description readable: its epoll entry still carries
	// fd number a and the old generation.
	sockWrite(t, b, []byte("stale"))
	events := make([]Event, 8)
	for range 3 {
		n, err := p.Wait(events, 10_000_000) // 10ms
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events[:n] {
			if ev.FD == a && ev.Ready&Readable != 0 {
				t.Fatalf("stale event delivered to the new registration of fd %d: %v", a, ev.Ready)
			}
		}
	}
}
