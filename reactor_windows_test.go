package reactor

func wakeStateOf(p Poller) *wakeState { return &p.(*iocp).wake }
