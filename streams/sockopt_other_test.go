//go:build !linux && !darwin && !freebsd && !windows

package streams_test

import (
	"fmt"
	"runtime"
	"testing"
)

// This system has no socket layer here (the library builds, its sockets
// fail with "not supported"): the raw-socket helpers of the tests skip,
// so that the test binary builds too (make cross).

func skipRaw(t *testing.T) {
	t.Helper()
	t.Skipf("raw socket options are not supported on %s/%s", runtime.GOOS, runtime.GOARCH)
}

func resetOnClose(t *testing.T, fd uintptr) { skipRaw(t) }

func noDelay(t *testing.T, fd uintptr) bool { skipRaw(t); return false }

func fmtAny(v any) string { return fmt.Sprint(v) }

func shrinkBuffers(t *testing.T, fd uintptr) { skipRaw(t) }

func closeRaw(t *testing.T, fd uintptr) { skipRaw(t) }

// fill cannot fill a socket here; nothing reaches it (every socket fails
// to open first).
func fill(fd uintptr) {}
