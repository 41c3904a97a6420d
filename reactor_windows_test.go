package reactor

// backends lists the Windows pollers the contract tests run over.
func backends() []backend {
	return []backend{
		{"iocp", New},
	}
}

// wakeStateOf returns the wake coalescing of a backend that has one.
func wakeStateOf(p Poller) *wakeState {
	if w, ok := p.(*iocp); ok {
		return &w.wake
	}
	return nil
}
