//go:build linux || darwin || freebsd

package reactor

// wakeStateOf returns the wake coalescing of a backend that has one.
func wakeStateOf(p Poller) *wakeState {
	if u, ok := p.(*unixPoller); ok {
		return &u.wake
	}
	return nil
}
