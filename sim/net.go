package sim

import (
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/f04742a6/reactor"
)

// The network model. Every time is simulated time since the start of
// the run (World.now). All of it runs on the loop's goroutine: in the
// hosts' network calls, and in the poller's Wait and the clock's
// autojump, which run the events that came due.

const (
	fdBase         = 100 // handles are fdBase + index in World.socks
	ephemeralFirst = 49152
	rto            = 200 * time.Millisecond // first retransmission timeout of a data segment
	synRTO         = time.Second            // first retransmission timeout of a SYN
	synRetries     = 6                      // tcp_syn_retries: connect gives up after 127 s
	maxRetrans     = 15                     // tcp_retries2: a segment lost more often resets
)

// event is one thing the network will do at a time: a flow's next
// segment arriving (f), or anything else (fn).
type event struct {
	at  time.Duration
	seq uint64
	f   *flow
	fn  func()
}

func (w *World) schedule(at time.Duration, f *flow, fn func()) {
	var e *event
	if n := len(w.free); n > 0 {
		e = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		e = new(event)
	}
	w.seq++
	e.at, e.seq, e.f, e.fn = at, w.seq, f, fn
	w.events = append(w.events, e)
	// sift up
	i := len(w.events) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !w.events[i].before(w.events[p]) {
			break
		}
		w.events[i], w.events[p] = w.events[p], w.events[i]
		i = p
	}
}

func (a *event) before(b *event) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (w *World) pop() *event {
	h := w.events
	e := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = nil
	h = h[:last]
	w.events = h
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return e
}

// nextAt returns the time of the next network event.
func (w *World) nextAt() (time.Duration, bool) {
	if len(w.events) == 0 {
		return 0, false
	}
	return w.events[0].at, true
}

// runDue runs every event due at the current time, in order.
func (w *World) runDue() {
	now := w.now()
	for len(w.events) > 0 && w.events[0].at <= now {
		e := w.pop()
		f, fn := e.f, e.fn
		e.f, e.fn = nil, nil
		w.free = append(w.free, e)
		if f != nil {
			w.flowDue(f, now)
		} else {
			fn()
		}
	}
}

// link is the path between two hosts, by name (hosts need not exist
// yet): its latency and loss, and whether it is cut, each way.
type link struct {
	latMin, latMax time.Duration
	loss           float64
	blocked        [2]bool // [0]: lo to hi, [1]: hi to lo (by name)
}

type linkKey struct{ lo, hi string }

// linkOf returns the link between hosts a and b and the direction from a
// to b on it.
func (w *World) linkOf(a, b string) (*link, int) {
	k, dir := linkKey{a, b}, 0
	if b < a {
		k, dir = linkKey{b, a}, 1
	}
	l := w.links[k]
	if l == nil {
		l = &link{latMin: w.cfg.latMin, latMax: w.cfg.latMax, loss: w.cfg.loss}
		if a == b {
			l.latMin, l.latMax, l.loss = 0, 0, 0 // loopback
		}
		w.links[k] = l
		w.linkList = append(w.linkList, l)
	}
	return l, dir
}

func (w *World) latency(l *link) time.Duration {
	if l.latMax <= l.latMin {
		return l.latMin
	}
	return l.latMin + time.Duration(w.rng.Int64N(int64(l.latMax-l.latMin)+1))
}

// lossDelay is the retransmission delay of one segment on l, and
// whether it was lost more often than TCP retries.
func (w *World) lossDelay(l *link) (time.Duration, bool) {
	if l.loss <= 0 {
		return 0, false
	}
	var d time.Duration
	t := rto
	for i := 0; w.rng.Float64() < l.loss; i++ {
		if i == maxRetrans {
			return d, true
		}
		d += t
		t *= 2
	}
	return d, false
}

// conn is one TCP connection: a client endpoint and a server endpoint.
type conn struct {
	id     uint64
	ends   [2]*endpoint // [0] client, [1] server (nil until the SYN arrives)
	syn    int          // SYN attempts made
	synGot bool         // a SYN reached the server
}

// endpoint is one side of a connection, on one host.
type endpoint struct {
	c      *conn
	host   *Host
	inc    int
	local  netip.AddrPort
	remote netip.AddrPort
	in     *flow // what the peer sends
	out    *flow // what this side sends
	sock   *socket
	err    syscall.Errno // ECONNRESET once reset
	closed bool          // its socket was closed (or its host stopped)
	wshut  bool          // FIN queued
	rstOut bool          // a RST was queued
}

// flow is one direction of a connection: the bytes src wrote and dst
// has not read (q[head:]), of which arrived have reached dst, and the
// segments in transit, in order.
type flow struct {
	w        *World
	src, dst *endpoint
	l        *link
	dir      int
	q        []byte
	head     int
	arrived  int
	segs     []seg
	segHead  int
	lastAt   time.Duration
	pending  bool // an event is scheduled for the head segment
	held     bool
	holdGen  uint32
	finGot   bool
	inFlight int // bytes in segs
}

type segKind uint8

const (
	segData segKind = iota
	segFin
	segRst
	segAck // the handshake's last ACK: the connection joins the accept queue
)

type seg struct {
	at   time.Duration
	n    int
	kind segKind
}

// unread is the window used: bytes in flight plus unread.
func (f *flow) used() int { return len(f.q) - f.head }

// send queues a segment of n bytes (already appended to q, for data).
func (f *flow) send(kind segKind, n int) {
	w := f.w
	now := w.now()
	at := now + w.latency(f.l)
	d, dead := w.lossDelay(f.l)
	if dead {
		// Lost more often than TCP retransmits: the connection times out
		// when the retries run out.
		c := f.src.c
		w.schedule(now+d, nil, func() { w.resetConn(c, syscall.ETIMEDOUT, "retransmissions exhausted") })
		at += d
	} else {
		at += d
	}
	if at < f.lastAt {
		at = f.lastAt // never overtakes an earlier segment
	}
	f.lastAt = at
	if kind == segData {
		f.inFlight += n
	}
	f.segs = append(f.segs, seg{at: at, n: n, kind: kind})
	if !f.pending && !f.held && f.segHead == len(f.segs)-1 {
		f.pending = true
		w.schedule(at, f, nil)
	}
}

// reachable reports whether f's segments can reach its destination now,
// and whether its destination's host is up at all.
func (f *flow) blocked() bool {
	return f.l.blocked[f.dir] || !f.dst.host.up
}

// flowDue delivers f's segments that are due.
func (w *World) flowDue(f *flow, now time.Duration) {
	f.pending = false
	for f.segHead < len(f.segs) {
		s := f.segs[f.segHead]
		if s.at > now {
			f.pending = true
			w.schedule(s.at, f, nil)
			return
		}
		if f.blocked() {
			w.hold(f)
			return
		}
		f.segHead++
		if f.segHead == len(f.segs) {
			f.segs, f.segHead = f.segs[:0], 0
		}
		w.deliver(f, s)
	}
}

// drop forgets f's segments in transit and their bytes.
func (f *flow) drop() {
	if f == nil {
		return
	}
	f.q = f.q[:f.head+f.arrived]
	f.segs, f.segHead, f.inFlight = f.segs[:0], 0, 0
	if f.held {
		f.held = false
		f.holdGen++
	}
}

// deliver hands segment s of f to its destination.
func (w *World) deliver(f *flow, s seg) {
	dst := f.dst
	if dst.inc != dst.host.inc {
		// A host restarted since: it knows nothing of the connection.
		if s.kind == segData {
			f.inFlight -= s.n
			f.head += s.n
		}
		if s.kind != segRst && !dst.rstOut {
			w.tr.event(w.now(), dst.host.name, "rst to "+dst.remote.String()+": unknown connection")
			w.sendRst(dst)
		}
		return
	}
	switch s.kind {
	case segData:
		f.inFlight -= s.n
		if dst.closed || dst.err != 0 {
			f.head += s.n // nobody reads it
			if dst.closed && !dst.rstOut && dst.err == 0 {
				w.sendRst(dst)
			}
			w.notifyWriter(f)
			return
		}
		f.arrived += s.n
		if w.tr.on() {
			w.tr.event(w.now(), dst.host.name, "recv "+strconv.Itoa(s.n)+" from "+dst.remote.String())
		}
		w.notify(dst.sock)
	case segFin:
		f.finGot = true
		w.tr.event(w.now(), dst.host.name, "fin from "+dst.remote.String())
		w.notify(dst.sock)
	case segRst:
		w.tr.event(w.now(), dst.host.name, "reset by "+dst.remote.String())
		w.resetEnd(dst, syscall.ECONNRESET)
	case segAck:
		l := dst.host.ports[portKey{tcp, dst.local.Port()}]
		if l == nil || l.state != sListening {
			w.sendRst(dst)
			return
		}
		l.backlog = append(l.backlog, dst)
		w.notify(l)
	}
}

// hold keeps f's segments until its path is open again, for at most the
// user timeout.
func (w *World) hold(f *flow) {
	if f.held {
		return
	}
	f.held = true
	f.holdGen++
	gen := f.holdGen
	w.held = append(w.held, f)
	c := f.src.c
	w.schedule(w.now()+w.cfg.userTO, nil, func() {
		if f.held && f.holdGen == gen {
			w.resetConn(c, syscall.ECONNRESET, "user timeout")
		}
	})
}

// release sends on the flows held whose path is open again.
func (w *World) release() {
	now := w.now()
	kept := w.held[:0]
	for _, f := range w.held {
		if !f.held {
			continue
		}
		if f.blocked() {
			kept = append(kept, f)
			continue
		}
		f.held = false
		f.holdGen++
		prev := now
		for i := f.segHead; i < len(f.segs); i++ {
			at := now + w.latency(f.l)
			if at < prev {
				at = prev
			}
			if f.segs[i].at < at {
				f.segs[i].at = at
			}
			prev = f.segs[i].at
		}
		if prev > f.lastAt {
			f.lastAt = prev
		}
		if f.segHead < len(f.segs) && !f.pending {
			f.pending = true
			w.schedule(f.segs[f.segHead].at, f, nil)
		}
	}
	clear(w.held[len(kept):])
	w.held = kept
}

// sendRst queues a RST from e to its peer, in order after what e sent.
func (w *World) sendRst(e *endpoint) {
	if e.rstOut || e.out == nil {
		return
	}
	e.rstOut = true
	e.out.send(segRst, 0)
}

// resetEnd resets endpoint e: what it had received stays readable, then
// its calls fail with err; what it was sending is dropped.
func (w *World) resetEnd(e *endpoint, err syscall.Errno) {
	if e.err != 0 {
		return
	}
	e.err = err
	e.out.drop()
	w.notify(e.sock)
}

// resetConn resets both sides of c (a user timeout, World.Reset).
func (w *World) resetConn(c *conn, err syscall.Errno, why string) {
	for _, e := range c.ends {
		if e == nil || e.err != 0 || e.out == nil || e.closed && e.out.used() == 0 {
			continue
		}
		if e.inc == e.host.inc && e.host.up {
			w.tr.event(w.now(), e.host.name, "reset "+e.local.String()+" - "+e.remote.String()+": "+why)
		}
		w.resetEnd(e, err)
	}
}

// notifyWriter tells f's writer that its window has room.
func (w *World) notifyWriter(f *flow) {
	if s := f.src.sock; s != nil {
		w.notify(s)
	}
}

// newConn makes the client side of a connection from socket s to to.
func (w *World) newConn(s *socket, to netip.AddrPort) *conn {
	c := &conn{id: uint64(len(w.conns))}
	e := &endpoint{c: c, host: s.host, inc: s.host.inc, local: s.local, remote: to, sock: s}
	c.ends[0] = e
	s.ep = e
	w.conns = append(w.conns, c)
	if len(w.conns) >= w.compact {
		w.compactConns()
	}
	return c
}

// dead reports whether c is over: nothing can happen on it any more.
func (c *conn) dead() bool {
	for _, e := range c.ends {
		if e == nil {
			continue
		}
		if e.inc != e.host.inc {
			continue
		}
		if !(e.closed || e.err != 0) || e.out != nil && e.out.segHead < len(e.out.segs) {
			return false
		}
	}
	return c.ends[1] != nil || c.ends[0].closed || c.ends[0].err != 0
}

func (w *World) compactConns() {
	kept := w.conns[:0]
	for _, c := range w.conns {
		if !c.dead() {
			kept = append(kept, c)
		}
	}
	clear(w.conns[len(kept):])
	w.conns = kept
	w.compact = 2*len(kept) + 64
}

// pair makes the server endpoint of c on host h and the two flows.
func (w *World) pair(c *conn, h *Host, local netip.AddrPort) {
	cl := c.ends[0]
	sv := &endpoint{c: c, host: h, inc: h.inc, local: local, remote: cl.local}
	c.ends[1] = sv
	l, dir := w.linkOf(cl.host.name, h.name)
	cl.out = &flow{w: w, src: cl, dst: sv, l: l, dir: dir}
	sv.out = &flow{w: w, src: sv, dst: cl, l: l, dir: 1 - dir}
	if cl.host == h {
		sv.out.dir = dir
	}
	cl.in, sv.in = sv.out, cl.out
}

// connect sends SYN attempt k of c to the host at to.
func (w *World) connect(c *conn, to netip.AddrPort) {
	cl := c.ends[0]
	s := cl.sock
	if s == nil || s.state != sConnecting || cl.inc != cl.host.inc || !cl.host.up {
		return
	}
	if c.syn > synRetries {
		s.soErr = syscall.ETIMEDOUT
		s.state = sFailed
		w.tr.event(w.now(), cl.host.name, "connect "+to.String()+": timed out")
		w.notify(s)
		return
	}
	k := c.syn
	c.syn++
	now := w.now()
	w.schedule(now+synRTO<<k, nil, func() { w.connect(c, to) })
	dst := w.hostAt(cl.host, to.Addr())
	if dst == nil {
		return // nobody there: the SYN is lost
	}
	l, dir := w.linkOf(cl.host.name, dst.name)
	if l.loss > 0 && w.rng.Float64() < l.loss {
		return // lost: retried
	}
	w.schedule(now+w.latency(l), nil, func() {
		if l.blocked[dir] || !dst.up || !cl.host.up || cl.inc != cl.host.inc {
			return // held up, or nobody listening for it: retried
		}
		w.synArrived(c, dst, to)
	})
}

// synArrived runs at dst when a SYN of c reaches it.
func (w *World) synArrived(c *conn, dst *Host, to netip.AddrPort) {
	cl := c.ends[0]
	l, dir := w.linkOf(dst.name, cl.host.name)
	lst := dst.ports[portKey{tcp, to.Port()}]
	refused := lst == nil || lst.state != sListening
	if !refused && c.ends[1] == nil {
		c.synGot = true
		local := netip.AddrPortFrom(dst.addr, to.Port())
		if to.Addr().IsLoopback() {
			local = to
		}
		w.pair(c, dst, local)
	}
	inc := dst.inc
	w.schedule(w.now()+w.latency(l), nil, func() {
		if l.blocked[dir] || !dst.up || dst.inc != inc {
			return // the answer is lost: the SYN is retried
		}
		s := cl.sock
		if s == nil || s.state != sConnecting || !cl.host.up || cl.inc != cl.host.inc {
			return
		}
		if refused {
			s.soErr = syscall.ECONNREFUSED
			s.state = sFailed
			w.tr.event(w.now(), cl.host.name, "connect "+to.String()+": refused")
			w.notify(s)
			return
		}
		s.state = sConnected
		w.tr.event(w.now(), cl.host.name, "connected "+cl.local.String()+" -> "+to.String())
		cl.out.send(segAck, 0)
		w.notify(s)
	})
}

// hostAt returns the host that address a names, seen from host from.
func (w *World) hostAt(from *Host, a netip.Addr) *Host {
	a = a.Unmap()
	if a.IsLoopback() || a == from.addr {
		return from
	}
	return w.byAddr[a]
}

// powerCut is Crash's network part.
func (w *World) powerCut(h *Host) {
	for _, c := range w.conns {
		for _, e := range c.ends {
			if e != nil && e.host == h && e.inc == h.inc {
				e.out.drop()
			}
		}
	}
	for _, s := range h.socks {
		s.dead = true
		s.dq = nil
		w.notify(s)
	}
	h.socks = nil
	clear(h.ports)
}

// exitClose closes the sockets a stopped host left open, as a
// process's exit does.
func (w *World) exitClose(h *Host) {
	socks := h.socks
	h.socks = nil
	for _, s := range socks {
		w.closeSocket(s)
		s.dead = true
		w.notify(s)
	}
	clear(h.ports)
}

// Partition cuts the path between hosts a and b both ways: segments are
// held (a connection holding one past the user timeout is reset), new
// connections cannot be made, datagrams are lost.
func (w *World) Partition(a, b string) {
	w.tr.event(w.now(), "", "partition "+a+" <-> "+b)
	l, dir := w.linkOf(a, b)
	l.blocked[dir], l.blocked[1-dir] = true, true
}

// PartitionOneWay cuts the path from a to b only.
func (w *World) PartitionOneWay(a, b string) {
	w.tr.event(w.now(), "", "partition "+a+" -> "+b)
	l, dir := w.linkOf(a, b)
	l.blocked[dir] = true
}

// Heal joins a and b again, both ways: the segments held go on.
func (w *World) Heal(a, b string) {
	w.tr.event(w.now(), "", "heal "+a+" <-> "+b)
	l, _ := w.linkOf(a, b)
	l.blocked = [2]bool{}
	w.release()
}

// HealAll ends every partition.
func (w *World) HealAll() {
	w.tr.event(w.now(), "", "heal all")
	for _, l := range w.linkList {
		l.blocked = [2]bool{}
	}
	w.release()
}

// Reset resets every connection between hosts a and b, as a RST from a
// middlebox would: both sides read what had arrived, then ECONNRESET.
func (w *World) Reset(a, b string) {
	w.tr.event(w.now(), "", "reset "+a+" <-> "+b)
	for _, c := range w.conns {
		cl, sv := c.ends[0], c.ends[1]
		if sv == nil {
			continue
		}
		if cl.host.name == a && sv.host.name == b || cl.host.name == b && sv.host.name == a {
			w.resetConn(c, syscall.ECONNRESET, "reset")
		}
	}
}

// SetLink sets the latency and loss of the path between a and b (both
// ways), from now on; options other than Latency and Loss are ignored.
func (w *World) SetLink(a, b string, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	l, _ := w.linkOf(a, b)
	if c.latSet {
		l.latMin, l.latMax = c.latMin, c.latMax
	}
	if c.lossSet {
		l.loss = c.loss
	}
	w.tr.event(w.now(), "", "link "+a+" <-> "+b+" latency "+l.latMin.String()+".."+l.latMax.String()+" loss "+strconv.FormatFloat(l.loss, 'g', -1, 64))
}

// notify reports s's new readiness to the poller.
func (w *World) notify(s *socket) {
	if s == nil || !s.registered {
		return
	}
	p := w.poller
	nb := s.level() &^ s.ready
	if nb == 0 {
		return
	}
	s.ready |= nb
	s.pend |= nb
	if !s.queued {
		s.queued = true
		p.queue = append(p.queue, s)
	}
}

var _ = reactor.Readable
