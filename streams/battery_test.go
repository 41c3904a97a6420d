package streams_test

import (
	"runtime"
	"testing"

	"github.com/f04742a6/reactor/streams/streamtest"
)

// The conformance battery on every stream type (Trio's check_streams:
// CONTRACTS 110-133; see ARCHITECTURE.md's table).
func TestBattery(t *testing.T) {
	t.Run("Memory0", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, memoryPair(0), memoryPair(0))
	})
	t.Run("Memory64KiB", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, memoryPair(64<<10), cloggedMemory(64<<10))
	})
	t.Run("TCP", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tcpPair, clog(tcpPair))
	})
	t.Run("Unix", func(t *testing.T) {
		skipUnixSocketsOnWindows(t)
		streamtest.CheckHalfCloseable(t, unixPair(t), clog(unixPair(t)))
	})
	t.Run("TLSOverTCP", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tlsOver(tcpPair), tlsOver(memoryPair(0)))
	})
	t.Run("TLSOverMemory", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tlsOver(memoryPair(0)), tlsOver(memoryPair(0)))
	})
}

func skipUnixSocketsOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("streams offers no Unix sockets on windows")
	}
}
