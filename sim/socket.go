package sim

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
)

type sockState uint8

const (
	sNew sockState = iota
	sConnecting
	sConnected
	sFailed // a connect failed: soErr says why
	sListening
	sClosed
)

type proto uint8

const (
	tcp proto = iota
	udp
)

type portKey struct {
	p    proto
	port uint16
}

// socket is a simulated socket: a handle the poller knows.
type socket struct {
	fd      uintptr
	host    *Host
	inc     int
	typ     netsys.Type
	fam     netsys.Family
	local   netip.AddrPort
	bound   bool
	state   sockState
	dead    bool // its host lost power or stopped: every call fails
	soErr   syscall.Errno
	ep      *endpoint   // a stream's connection
	backlog []*endpoint // a listener's connections not yet accepted
	dq      []datagram  // a datagram socket's received datagrams
	dqSize  int

	// The poller's registration.
	registered bool
	ready      reactor.Ready // the poller's record (Readiness)
	pend       reactor.Ready // bits to report at the next Wait
	queued     bool
}

type datagram struct {
	from netip.AddrPort
	p    []byte
}

// level is the socket's readiness now (level-triggered).
func (s *socket) level() reactor.Ready {
	const all = reactor.Readable | reactor.Writable | reactor.HangUp | reactor.Error
	if s.dead || s.state == sClosed {
		return all
	}
	if s.typ == netsys.Datagram {
		if len(s.dq) > 0 {
			return reactor.Readable | reactor.Writable
		}
		return reactor.Writable
	}
	switch s.state {
	case sNew:
		return reactor.Writable
	case sConnecting:
		return 0
	case sFailed:
		return all
	case sListening:
		if len(s.backlog) > 0 {
			return reactor.Readable
		}
		return 0
	}
	e := s.ep
	var r reactor.Ready
	if e.err != 0 {
		return all
	}
	if e.in.arrived > 0 {
		r |= reactor.Readable
	}
	if e.in.finGot {
		r |= reactor.Readable | reactor.HangUp
	}
	if e.wshut || e.out.used() < s.host.w.cfg.buffer {
		r |= reactor.Writable
	}
	return r
}

// hostNet is one incarnation of a host's network: the netsys.Network its
// tasks' ctx carries. Once its host crashes, stops or restarts, every
// call fails.
type hostNet struct {
	h   *Host
	inc int
}

var _ netsys.Network = (*hostNet)(nil)

func (n *hostNet) alive() bool { return n.h.up && n.h.inc == n.inc }

// sock returns the live socket of handle fd.
func (n *hostNet) sock(fd uintptr) (*socket, error) {
	w := n.h.w
	i := int(fd) - fdBase
	if i < 0 || i >= len(w.socks) || w.socks[i] == nil {
		return nil, syscall.EBADF
	}
	s := w.socks[i]
	if s.dead || !s.host.up || s.inc != s.host.inc {
		return nil, syscall.EBADF
	}
	return s, nil
}

func (n *hostNet) Socket(f netsys.Family, t netsys.Type) (uintptr, error) {
	if !n.alive() {
		return 0, syscall.ENETDOWN
	}
	if f == netsys.Unix {
		return 0, fmt.Errorf("sim: socket: Unix sockets are not simulated: %w", syscall.EAFNOSUPPORT)
	}
	w := n.h.w
	s := &socket{fd: uintptr(fdBase + len(w.socks)), host: n.h, inc: n.inc, typ: t, fam: f}
	w.socks = append(w.socks, s)
	n.h.socks = append(n.h.socks, s)
	return s.fd, nil
}

func (s *socket) proto() proto {
	if s.typ == netsys.Datagram {
		return udp
	}
	return tcp
}

func (n *hostNet) Bind(fd uintptr, a netsys.Addr) error {
	s, err := n.sock(fd)
	if err != nil {
		return err
	}
	if a.Family == netsys.Unix {
		return syscall.EAFNOSUPPORT
	}
	if s.bound {
		return syscall.EINVAL
	}
	ip := a.IP.Addr().Unmap()
	if !ip.IsUnspecified() && !ip.IsLoopback() && ip != n.h.addr {
		return syscall.EADDRNOTAVAIL
	}
	return n.bind(s, a.IP.Addr(), a.IP.Port())
}

func (n *hostNet) bind(s *socket, ip netip.Addr, port uint16) error {
	h := n.h
	if port == 0 {
		for range 65536 - ephemeralFirst {
			p := h.nextPort
			h.nextPort++
			if h.nextPort == 0 {
				h.nextPort = ephemeralFirst
			}
			if h.ports[portKey{s.proto(), p}] == nil {
				port = p
				break
			}
		}
		if port == 0 {
			return syscall.EADDRINUSE
		}
	} else if h.ports[portKey{s.proto(), port}] != nil {
		return syscall.EADDRINUSE
	}
	h.ports[portKey{s.proto(), port}] = s
	s.local, s.bound = netip.AddrPortFrom(ip, port), true
	return nil
}

func (n *hostNet) Listen(fd uintptr, backlog int) error {
	s, err := n.sock(fd)
	if err != nil {
		return err
	}
	if s.typ != netsys.Stream || s.state != sNew {
		return syscall.EINVAL
	}
	if !s.bound {
		if err := n.bind(s, netip.IPv4Unspecified(), 0); err != nil {
			return err
		}
	}
	s.state = sListening
	n.h.w.tr.event(n.h.w.now(), n.h.name, "listen "+s.local.String())
	return nil
}

func (n *hostNet) Accept(fd uintptr) (uintptr, netsys.Addr, error) {
	s, err := n.sock(fd)
	if err != nil {
		return 0, netsys.Addr{}, err
	}
	if s.state != sListening {
		return 0, netsys.Addr{}, syscall.EINVAL
	}
	if len(s.backlog) == 0 {
		return 0, netsys.Addr{}, syscall.EAGAIN
	}
	e := s.backlog[0]
	s.backlog[0] = nil
	s.backlog = s.backlog[1:]
	nfd, _ := n.Socket(s.fam, netsys.Stream)
	ns := n.h.w.socks[int(nfd)-fdBase]
	ns.state, ns.ep, ns.local, ns.bound = sConnected, e, e.local, true
	e.sock = ns
	w := n.h.w
	w.tr.event(w.now(), n.h.name, "accept "+e.local.String()+" <- "+e.remote.String())
	return nfd, netsys.IPAddr(e.remote), nil
}

func (n *hostNet) Connect(fd uintptr, a netsys.Addr) error {
	s, err := n.sock(fd)
	if err != nil {
		return err
	}
	if a.Family == netsys.Unix {
		return syscall.EAFNOSUPPORT
	}
	if s.typ != netsys.Stream {
		return fmt.Errorf("sim: connect: connected datagram sockets are not simulated: %w", syscall.EOPNOTSUPP)
	}
	switch s.state {
	case sConnecting:
		return syscall.EALREADY
	case sConnected:
		return syscall.EISCONN
	case sNew:
	default:
		return syscall.EINVAL
	}
	if !s.bound {
		if err := n.bind(s, n.h.addr, 0); err != nil {
			return err
		}
	}
	to := netip.AddrPortFrom(a.IP.Addr().Unmap(), a.IP.Port())
	if s.local.Addr().IsUnspecified() || to.Addr().IsLoopback() != s.local.Addr().IsLoopback() {
		src := n.h.addr
		if to.Addr().IsLoopback() {
			src = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		s.local = netip.AddrPortFrom(src, s.local.Port())
	}
	s.state = sConnecting
	w := n.h.w
	c := w.newConn(s, to)
	w.tr.event(w.now(), n.h.name, "connect "+s.local.String()+" -> "+to.String())
	w.connect(c, to)
	return syscall.EINPROGRESS
}

func (n *hostNet) SocketError(fd uintptr) error {
	s, err := n.sock(fd)
	if err != nil {
		return err
	}
	e := s.soErr
	s.soErr = 0
	if e != 0 {
		return e
	}
	if s.state == sConnecting {
		return nil
	}
	return nil
}

// stream returns fd's socket if it is a connected stream: EAGAIN while
// its connect is in flight, ENOTCONN if it is not connected.
func (n *hostNet) stream(fd uintptr) (*socket, error) {
	s, err := n.sock(fd)
	if err != nil {
		return nil, err
	}
	switch s.state {
	case sConnected:
		return s, nil
	case sConnecting:
		return nil, syscall.EAGAIN
	}
	return nil, syscall.ENOTCONN
}

func (n *hostNet) Read(fd uintptr, p []byte) (int, error) {
	s, err := n.stream(fd)
	if err != nil {
		return 0, err
	}
	e := s.ep
	f := e.in
	if f.arrived > 0 {
		k := copy(p, f.q[f.head:f.head+f.arrived])
		f.head += k
		f.arrived -= k
		if f.head == len(f.q) {
			f.q, f.head = f.q[:0], 0
		} else if f.head > 4096 && f.head > len(f.q)/2 {
			m := copy(f.q, f.q[f.head:])
			f.q, f.head = f.q[:m], 0
		}
		s.host.w.notifyWriter(f)
		return k, nil
	}
	if e.err != 0 {
		return 0, e.err
	}
	if f.finGot {
		return 0, nil
	}
	return 0, syscall.EAGAIN
}

func (n *hostNet) Write(fd uintptr, p []byte) (int, error) {
	s, err := n.stream(fd)
	if err != nil {
		return 0, err
	}
	e := s.ep
	if e.err != 0 {
		return 0, e.err
	}
	if e.wshut {
		return 0, syscall.EPIPE
	}
	w := n.h.w
	f := e.out
	room := w.cfg.buffer - f.used()
	if room <= 0 {
		return 0, syscall.EAGAIN
	}
	k := min(len(p), room)
	f.q = append(f.q, p[:k]...)
	for left := k; left > 0; {
		sz := min(left, w.cfg.mss)
		if left > 1 && w.rng.IntN(8) == 0 {
			sz = 1 + w.rng.IntN(sz) // a short segment, by the seed
		}
		if w.tr.on() {
			w.tr.event(w.now(), n.h.name, "send "+strconv.Itoa(sz)+" to "+e.remote.String())
		}
		f.send(segData, sz)
		left -= sz
	}
	return k, nil
}

func (n *hostNet) RecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	s, err := n.sock(fd)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if s.typ != netsys.Datagram {
		k, err := n.Read(fd, p)
		return k, netip.AddrPort{}, err
	}
	if len(s.dq) == 0 {
		return 0, netip.AddrPort{}, syscall.EAGAIN
	}
	d := s.dq[0]
	s.dq[0] = datagram{}
	s.dq = s.dq[1:]
	s.dqSize -= len(d.p)
	return copy(p, d.p), d.from, nil
}

func (n *hostNet) SendTo(fd uintptr, p []byte, to netip.AddrPort) (int, error) {
	s, err := n.sock(fd)
	if err != nil {
		return 0, err
	}
	if s.typ != netsys.Datagram {
		return 0, syscall.EOPNOTSUPP
	}
	if !s.bound {
		if err := n.bind(s, n.h.addr, 0); err != nil {
			return 0, err
		}
	}
	w := n.h.w
	h := n.h
	from := s.local
	if from.Addr().IsUnspecified() {
		from = netip.AddrPortFrom(h.addr, from.Port())
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	if to.Addr().IsLoopback() {
		from = netip.AddrPortFrom(to.Addr(), from.Port())
	}
	size := len(p)
	dst := w.hostAt(h, to.Addr())
	if dst == nil {
		w.tr.event(w.now(), h.name, "udp send "+strconv.Itoa(size)+" to "+to.String()+": no such host")
		return size, nil
	}
	l, dir := w.linkOf(h.name, dst.name)
	if l.loss > 0 && w.rng.Float64() < l.loss {
		w.tr.event(w.now(), h.name, "udp lost "+strconv.Itoa(size)+" to "+to.String())
		return size, nil
	}
	if w.tr.on() {
		w.tr.event(w.now(), h.name, "udp send "+strconv.Itoa(size)+" to "+to.String())
	}
	d := datagram{from: from, p: append([]byte(nil), p...)}
	w.schedule(w.now()+w.latency(l), nil, func() {
		if l.blocked[dir] || !dst.up {
			w.tr.event(w.now(), dst.name, "udp lost "+strconv.Itoa(size)+" from "+from.String()+": unreachable")
			return
		}
		r := dst.ports[portKey{udp, to.Port()}]
		if r == nil || r.dead {
			w.tr.event(w.now(), dst.name, "udp dropped "+strconv.Itoa(size)+" from "+from.String()+": no socket")
			return
		}
		if r.dqSize+size > w.cfg.udpQueue {
			w.tr.event(w.now(), dst.name, "udp dropped "+strconv.Itoa(size)+" from "+from.String()+": queue full")
			return
		}
		r.dq = append(r.dq, d)
		r.dqSize += size
		w.tr.event(w.now(), dst.name, "udp recv "+strconv.Itoa(size)+" from "+from.String())
		w.notify(r)
	})
	return size, nil
}

func (n *hostNet) ShutdownWrite(fd uintptr) error {
	s, err := n.sock(fd)
	if err != nil {
		return err
	}
	if s.state != sConnected {
		return syscall.ENOTCONN
	}
	e := s.ep
	if !e.wshut && e.err == 0 {
		e.wshut = true
		w := n.h.w
		w.tr.event(w.now(), n.h.name, "shutdown "+e.local.String()+" -> "+e.remote.String())
		e.out.send(segFin, 0)
	}
	return nil
}

// Close releases fd; it never fails on a handle this world made (a dead
// host's sockets are released too).
func (n *hostNet) Close(fd uintptr) error {
	w := n.h.w
	i := int(fd) - fdBase
	if i < 0 || i >= len(w.socks) || w.socks[i] == nil {
		return syscall.EBADF
	}
	s := w.socks[i]
	w.socks[i] = nil
	if !s.dead && s.host.up && s.inc == s.host.inc {
		w.closeSocket(s)
		h := s.host
		for j, t := range h.socks {
			if t == s {
				h.socks = append(h.socks[:j], h.socks[j+1:]...)
				break
			}
		}
	}
	s.state = sClosed
	s.registered = false
	return nil
}

// closeSocket is a live socket's close: FIN (RST if data was left
// unread), its port freed, a listener's waiting connections reset.
func (w *World) closeSocket(s *socket) {
	h := s.host
	if s.bound && h.ports[portKey{s.proto(), s.local.Port()}] == s {
		delete(h.ports, portKey{s.proto(), s.local.Port()})
	}
	switch s.state {
	case sListening:
		w.tr.event(w.now(), h.name, "close listener "+s.local.String())
		for _, e := range s.backlog {
			w.sendRst(e)
			e.closed = true
		}
		s.backlog = nil
	case sConnected:
		e := s.ep
		e.sock = nil
		e.closed = true
		if e.err != 0 {
			break
		}
		if e.in.arrived > 0 {
			w.tr.event(w.now(), h.name, "close "+e.local.String()+" -> "+e.remote.String()+" with unread data: rst")
			e.in.head += e.in.arrived
			e.in.arrived = 0
			w.notifyWriter(e.in)
			w.sendRst(e)
			break
		}
		w.tr.event(w.now(), h.name, "close "+e.local.String()+" -> "+e.remote.String())
		if !e.wshut {
			e.wshut = true
			e.out.send(segFin, 0)
		}
	case sConnecting:
		s.ep.sock = nil
		s.ep.closed = true
	}
	s.state = sClosed
}

func (n *hostNet) SetOption(fd uintptr, o netsys.Option, on bool) error {
	_, err := n.sock(fd)
	return err
}

func (n *hostNet) LocalAddr(fd uintptr) (netsys.Addr, error) {
	s, err := n.sock(fd)
	if err != nil {
		return netsys.Addr{}, err
	}
	a := s.local
	if !a.IsValid() {
		a = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	return netsys.IPAddr(a), nil
}

func (n *hostNet) RemoteAddr(fd uintptr) (netsys.Addr, error) {
	s, err := n.sock(fd)
	if err != nil {
		return netsys.Addr{}, err
	}
	if s.ep == nil || s.state != sConnected {
		return netsys.Addr{}, syscall.ENOTCONN
	}
	return netsys.IPAddr(s.ep.remote), nil
}

func (n *hostNet) Unlink(path string) error {
	return fmt.Errorf("sim: unlink %s: Unix sockets are not simulated: %w", path, syscall.EAFNOSUPPORT)
}

func (n *hostNet) Resolver() (netsys.Resolver, bool) { return resolver{n.h.w}, false }

// resolver answers host names from the world's hosts, at once.
type resolver struct{ w *World }

func (r resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if host == "localhost" {
		if network == "ip6" {
			return []netip.Addr{netip.IPv6Loopback()}, nil
		}
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, nil
	}
	h := r.w.byName[host]
	if h == nil || network == "ip6" {
		return nil, &net.DNSError{Err: "no such host (simulated)", Name: host, IsNotFound: true}
	}
	return []netip.Addr{h.addr}, nil
}
