package reactor

import (
	"errors"
	"testing"

	"github.com/f04742a6/reactor/internal/sock"
)

// socketPair returns two connected non-blocking stream sockets, closed when
// the test ends (closing twice is harmless: the test may close one early).
func socketPair(t *testing.T) (a, b uintptr) {
	t.Helper()
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatalf("socket pair: %v", err)
	}
	t.Cleanup(func() { sock.Close(a); sock.Close(b) })
	return a, b
}

func sockWrite(t *testing.T, fd uintptr, p []byte) {
	t.Helper()
	if n, err := sock.Write(fd, p); err != nil || n != len(p) {
		t.Fatalf("write fd %d: n=%d err=%v", fd, n, err)
	}
}

// sockRead reads what is there; ok is false when the read would block.
func sockRead(t *testing.T, fd uintptr, p []byte) (n int, ok bool) {
	t.Helper()
	n, err := sock.Read(fd, p)
	if errors.Is(err, sock.ErrWouldBlock) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("read fd %d: %v", fd, err)
	}
	return n, true
}

func sockClose(fd uintptr) { sock.Close(fd) }

// closedFD returns an fd number that is not open.
func closedFD(t *testing.T) uintptr {
	a, _ := socketPair(t)
	sockClose(a)
	return a
}
