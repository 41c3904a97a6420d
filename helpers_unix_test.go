//go:build linux || darwin || freebsd

package reactor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// socketPair returns two connected non-blocking stream sockets, closed when
// the test ends (closing twice is harmless: the test may close one early).
func socketPair(t *testing.T) (a, b uintptr) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return uintptr(fds[0]), uintptr(fds[1])
}

func sockWrite(t *testing.T, fd uintptr, p []byte) {
	t.Helper()
	if n, err := unix.Write(int(fd), p); err != nil || n != len(p) {
		t.Fatalf("write fd %d: n=%d err=%v", fd, n, err)
	}
}

// sockRead reads what is there; ok is false when the read would block.
func sockRead(t *testing.T, fd uintptr, p []byte) (n int, ok bool) {
	t.Helper()
	n, err := unix.Read(int(fd), p)
	if err == unix.EAGAIN {
		return 0, false
	}
	if err != nil {
		t.Fatalf("read fd %d: %v", fd, err)
	}
	return n, true
}

func sockClose(fd uintptr) { unix.Close(int(fd)) }

// closedFD returns an fd number that is not open.
func closedFD(t *testing.T) uintptr {
	a, _ := socketPair(t)
	sockClose(a)
	return a
}
