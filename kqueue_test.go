//go:build darwin || freebsd

package reactor

func wakeStateOf(p Poller) *wakeState { return &p.(*kq).wake }
