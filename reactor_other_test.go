//go:build !linux && !darwin && !freebsd && !windows

package reactor

// backends lists no poller: this system has none (New returns an error
// saying so), so the contract tests have nothing to run over.
func backends() []backend { return nil }

func wakeStateOf(Poller) *wakeState { return nil }
