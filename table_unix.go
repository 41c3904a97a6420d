//go:build linux || darwin || freebsd

package reactor

// registration is the poller's record of one registered fd: the one
// record of its readiness (see Poller's Readiness and Consume).
type registration struct {
	gen   uint32 // tags kernel events; 0 means the slot is free
	ready Ready  // Invariant: Readable|Writable at add, then | every current event, &^ every Consume
}

// table maps small non-negative fds to registrations. Unix fds are dense
// small integers, so a slice beats a map on the hot path.
type table struct {
	regs    []registration
	nextGen uint32
}

func (t *table) lookup(fd uintptr) *registration {
	if fd >= uintptr(len(t.regs)) || t.regs[fd].gen == 0 {
		return nil
	}
	return &t.regs[fd]
}

// add claims fd's slot and returns its generation tag. The readiness
// starts as Poller.Register says: both directions, to be tried.
func (t *table) add(fd uintptr) (uint32, error) {
	if t.lookup(fd) != nil {
		return 0, opError("register", fd, ErrRegistered)
	}
	for fd >= uintptr(len(t.regs)) {
		t.regs = append(t.regs, make([]registration, len(t.regs)+64)...)
	}
	t.nextGen++
	if t.nextGen == 0 { // 0 marks a free slot
		t.nextGen = 1
	}
	t.regs[fd] = registration{gen: t.nextGen, ready: Readable | Writable}
	return t.nextGen, nil
}

func (t *table) remove(fd uintptr) error {
	if t.lookup(fd) == nil {
		return opError("unregister", fd, ErrNotRegistered)
	}
	t.regs[fd] = registration{}
	return nil
}

// deliver records new readiness for the registration tagged gen on fd and
// reports whether the event is current; events for a stale tag are
// dropped. gen 0 (a kernel that does not tag its events) matches the live
// registration.
func (t *table) deliver(fd uintptr, gen uint32, r Ready) (Ready, bool) {
	reg := t.lookup(fd)
	if reg == nil || (gen != 0 && reg.gen != gen) {
		return 0, false
	}
	reg.ready |= r
	return r, true
}

func (t *table) readiness(fd uintptr) Ready {
	if reg := t.lookup(fd); reg != nil {
		return reg.ready
	}
	return 0
}

func (t *table) consume(fd uintptr, r Ready) {
	if reg := t.lookup(fd); reg != nil {
		reg.ready &^= r
	}
}
