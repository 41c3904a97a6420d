package netsys

import (
	"context"
	"net/netip"
)

// Network is the socket layer: every system call package streams makes on
// a socket goes through one of these methods. OS is the operating
// system's; a simulated network is another (see the package doc for the
// contract a second implementation keeps).
//
// A socket is a uintptr handle the implementation hands out; it is
// registered with the loop's poller (task.RegisterFD) for its whole life,
// so the poller the loop runs on must know the implementation's handles.
// Every socket is non-blocking: a call that cannot complete at once fails
// with syscall.EAGAIN, and the caller waits for readiness on the poller.
//
// Errors are syscall.Errno values of the portable vocabulary (EAGAIN,
// EINPROGRESS, ECONNREFUSED, ECONNRESET, EPIPE, ...), or errors that wrap
// one so that errors.Is finds it; see errors.go. EAGAIN and EINPROGRESS
// are always returned bare, so that telling them costs a comparison and
// no allocation. On failure a count returned with the error is 0.
type Network interface {
	// Socket makes a non-blocking, close-on-exec socket.
	Socket(f Family, t Type) (fd uintptr, err error)
	// Bind binds fd to a local address.
	Bind(fd uintptr, a Addr) error
	// Listen makes fd a listening socket; backlog <= 0 means the
	// system's maximum.
	Listen(fd uintptr, backlog int) error
	// Accept takes a pending connection as a new non-blocking,
	// close-on-exec socket, with the peer's address. EAGAIN: none is
	// pending.
	Accept(fd uintptr) (nfd uintptr, remote Addr, err error)
	// Connect starts connecting fd to a. A connection that cannot
	// complete at once returns EINPROGRESS: wait until fd is writable,
	// then SocketError tells the outcome.
	Connect(fd uintptr, a Addr) error
	// SocketError returns and clears fd's pending error (SO_ERROR): nil
	// once a connect in progress has succeeded.
	SocketError(fd uintptr) error
	// Read reads into p: (n > 0, nil), (0, nil) at end of stream, (0,
	// EAGAIN) when nothing is there. It keeps no reference to p.
	Read(fd uintptr, p []byte) (int, error)
	// Write writes what the socket takes of p, possibly less than all of
	// it; (0, EAGAIN) when it takes nothing. A write to a peer that is
	// gone fails with EPIPE or ECONNRESET, never with a signal. It keeps
	// no reference to p.
	Write(fd uintptr, p []byte) (int, error)
	// RecvFrom receives one datagram into p (cut to len(p)) and its
	// sender.
	RecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error)
	// SendTo sends p as one datagram to to.
	SendTo(fd uintptr, p []byte, to netip.AddrPort) (int, error)
	// ShutdownWrite half-closes fd: the peer reads what was written,
	// then the end of the stream.
	ShutdownWrite(fd uintptr) error
	// Close releases fd. The caller unregisters it from the poller
	// first.
	Close(fd uintptr) error
	// SetOption turns an option on or off.
	SetOption(fd uintptr, o Option, on bool) error
	// LocalAddr and RemoteAddr return fd's own and its peer's address.
	LocalAddr(fd uintptr) (Addr, error)
	RemoteAddr(fd uintptr) (Addr, error)
	// Unlink removes a Unix socket's path once its listener is closed.
	Unlink(path string) error
	// Resolver returns how host names resolve on this network, and
	// whether the resolver may block. One that may (the OS's, which
	// asks DNS) is called on a task.ToThread worker; one that answers
	// at once (a simulated network's table of hosts) is called from the
	// task itself, so that no thread takes part in a simulated run.
	Resolver() (r Resolver, blocks bool)
}

// Resolver looks up a host's addresses; *net.Resolver is one, and so is
// any streams.Resolver (the method sets are the same).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Family is a socket's address family.
type Family uint8

const (
	IPv4 Family = iota + 1
	IPv6
	Unix
)

// FamilyOf returns the family of an IP address (an IPv4-mapped IPv6
// address is IPv6: the caller unmaps first when it means IPv4).
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

func (f Family) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	case Unix:
		return "unix"
	}
	return "family?"
}

// Type is a socket's type.
type Type uint8

const (
	Stream   Type = iota + 1 // TCP, or a Unix stream socket
	Datagram                 // UDP
)

// Option is a socket option that is on or off.
type Option uint8

const (
	NoDelay   Option = iota + 1 // TCP_NODELAY
	ReuseAddr                   // SO_REUSEADDR (a no-op on Windows, where it would let another socket steal the port)
	ReusePort                   // SO_REUSEPORT
	V6Only                      // IPV6_V6ONLY
)

func (o Option) String() string {
	switch o {
	case NoDelay:
		return "TCP_NODELAY"
	case ReuseAddr:
		return "SO_REUSEADDR"
	case ReusePort:
		return "SO_REUSEPORT"
	case V6Only:
		return "IPV6_V6ONLY"
	}
	return "option?"
}

// Addr is a socket address: an IP address and port, or a Unix socket's
// path. The zero Addr is no address (an unknown one).
type Addr struct {
	Family Family
	// IP is an IPv4 or IPv6 socket's address.
	IP netip.AddrPort
	// Path is a Unix socket's path; "" is an unnamed one.
	Path string
}

// IPAddr returns ap as an Addr of its family.
func IPAddr(ap netip.AddrPort) Addr { return Addr{Family: FamilyOf(ap.Addr()), IP: ap} }

// UnixAddr returns a Unix socket address.
func UnixAddr(path string) Addr { return Addr{Family: Unix, Path: path} }

// IsValid reports whether a is an address, not the zero Addr.
func (a Addr) IsValid() bool { return a.Family != 0 }

func (a Addr) String() string {
	switch a.Family {
	case IPv4, IPv6:
		return a.IP.String()
	case Unix:
		if a.Path == "" {
			return "unnamed"
		}
		return a.Path
	}
	return "?"
}

type ctxKey struct{}

// With returns a ctx whose sockets are made on n: streams' dials,
// listeners and datagram sockets made with it (or with a ctx derived from
// it: a task's, a scope's) use n. A simulated host's root ctx carries its
// network this way.
func With(ctx context.Context, n Network) context.Context {
	return context.WithValue(ctx, ctxKey{}, n)
}

// From returns the network ctx carries (With), or the operating system's.
func From(ctx context.Context) Network {
	if n, ok := ctx.Value(ctxKey{}).(Network); ok {
		return n
	}
	return OS{}
}

// InetAddr is the Addr of an IP address and port, an IPv4-mapped IPv6
// address read as the IPv4 one (as the systems report a dual-stack
// socket's IPv4 peer).
func InetAddr(ip netip.Addr, port int) Addr {
	if ip.Is4In6() {
		return Addr{Family: IPv4, IP: netip.AddrPortFrom(ip.Unmap(), uint16(port))}
	}
	return Addr{Family: FamilyOf(ip), IP: netip.AddrPortFrom(ip, uint16(port))}
}
