package streams_test

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

func resetOnClose(t *testing.T, fd uintptr) {
	t.Helper()
	l := windows.Linger{Onoff: 1, Linger: 0}
	if err := windows.Setsockopt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_LINGER, (*byte)(unsafe.Pointer(&l)), int32(unsafe.Sizeof(l))); err != nil {
		t.Fatal(err)
	}
}

func noDelay(t *testing.T, fd uintptr) bool {
	t.Helper()
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.IPPROTO_TCP, windows.TCP_NODELAY)
	if err != nil {
		t.Fatal(err)
	}
	return v != 0
}

func fmtAny(v any) string { return fmt.Sprint(v) }

func shrinkBuffers(t *testing.T, fd uintptr) {
	t.Helper()
	windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_SNDBUF, 4096)
}

func closeRaw(t *testing.T, fd uintptr) {
	t.Helper()
	if err := windows.Closesocket(windows.Handle(fd)); err != nil {
		t.Fatal(err)
	}
}
