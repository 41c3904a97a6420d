//go:build linux || darwin || freebsd

package streams_test

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// resetOnClose makes the socket's Close send an RST (SO_LINGER 0).
func resetOnClose(t *testing.T, fd uintptr) {
	t.Helper()
	if err := unix.SetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		t.Fatal(err)
	}
}

func noDelay(t *testing.T, fd uintptr) bool {
	t.Helper()
	v, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY)
	if err != nil {
		t.Fatal(err)
	}
	return v != 0
}

func fmtAny(v any) string { return fmt.Sprint(v) }

// shrinkBuffers makes the socket's send buffer small, so that writes
// wait often. (A tiny receive buffer would stall TCP itself: a window
// below the MSS trips the sender's silly-window avoidance.)
func shrinkBuffers(t *testing.T, fd uintptr) {
	t.Helper()
	unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
}

func closeRaw(t *testing.T, fd uintptr) {
	t.Helper()
	if err := unix.Close(int(fd)); err != nil {
		t.Fatal(err)
	}
}
