//go:build linux || darwin || freebsd

package netsys

import (
	"net"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OS is the operating system's socket layer: on Unix, the system calls
// through golang.org/x/sys/unix, which report errnos already (no mapping).
// Each call retries EINTR itself. It has no state: OS{} is the value.
type OS struct{}

var _ Network = OS{}

func (OS) Socket(f Family, t Type) (uintptr, error) {
	fam, typ, err := osFamilyType(f, t)
	if err != nil {
		return 0, err
	}
	fd, err := socketNonblock(fam, typ)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func osFamilyType(f Family, t Type) (int, int, error) {
	var fam, typ int
	switch f {
	case IPv4:
		fam = unix.AF_INET
	case IPv6:
		fam = unix.AF_INET6
	case Unix:
		fam = unix.AF_UNIX
	default:
		return 0, 0, syscall.EAFNOSUPPORT
	}
	switch t {
	case Stream:
		typ = unix.SOCK_STREAM
	case Datagram:
		typ = unix.SOCK_DGRAM
	default:
		return 0, 0, syscall.EPROTOTYPE
	}
	return fam, typ, nil
}

func (OS) Bind(fd uintptr, a Addr) error {
	sa, err := sockaddrOf(a)
	if err != nil {
		return err
	}
	return unix.Bind(int(fd), sa)
}

func (OS) Listen(fd uintptr, backlog int) error {
	if backlog <= 0 {
		backlog = unix.SOMAXCONN
	}
	return unix.Listen(int(fd), backlog)
}

// Accept takes the peer's address from accept itself (no getpeername).
func (OS) Accept(fd uintptr) (uintptr, Addr, error) {
	nfd, sa, err := acceptNonblock(int(fd))
	if err != nil {
		return 0, Addr{}, err
	}
	return uintptr(nfd), addrOf(sa), nil
}

func (OS) Connect(fd uintptr, a Addr) error {
	sa, err := sockaddrOf(a)
	if err != nil {
		return err
	}
	for {
		err := unix.Connect(int(fd), sa)
		switch err {
		case unix.EINTR:
			// The connect goes on; asking again says EALREADY.
			continue
		case unix.EINPROGRESS, unix.EALREADY:
			return syscall.EINPROGRESS
		}
		return err
	}
}

func (OS) SocketError(fd uintptr) error {
	v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

func (OS) Read(fd uintptr, p []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), p)
		if err == nil {
			return n, nil
		}
		if err != unix.EINTR {
			return 0, err
		}
	}
}

func (OS) Write(fd uintptr, p []byte) (int, error) {
	for {
		n, err := unix.Write(int(fd), p)
		if err == nil {
			return n, nil
		}
		if err != unix.EINTR {
			return 0, err
		}
	}
}

func (OS) RecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	for {
		n, sa, err := unix.Recvfrom(int(fd), p, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		return n, addrOf(sa).IP, nil
	}
}

func (OS) SendTo(fd uintptr, p []byte, to netip.AddrPort) (int, error) {
	sa, err := sockaddrOf(IPAddr(to))
	if err != nil {
		return 0, err
	}
	for {
		err := unix.Sendto(int(fd), p, 0, sa)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
}

func (OS) ShutdownWrite(fd uintptr) error { return unix.Shutdown(int(fd), unix.SHUT_WR) }

func (OS) Close(fd uintptr) error { return unix.Close(int(fd)) }

func (OS) SetOption(fd uintptr, o Option, on bool) error {
	v := 0
	if on {
		v = 1
	}
	switch o {
	case NoDelay:
		return unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, v)
	case ReuseAddr:
		return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, v)
	case ReusePort:
		return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, v)
	case V6Only:
		return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v)
	}
	return syscall.ENOPROTOOPT
}

func (OS) LocalAddr(fd uintptr) (Addr, error) {
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		return Addr{}, err
	}
	return addrOf(sa), nil
}

func (OS) RemoteAddr(fd uintptr) (Addr, error) {
	sa, err := unix.Getpeername(int(fd))
	if err != nil {
		return Addr{}, err
	}
	return addrOf(sa), nil
}

func (OS) Unlink(path string) error { return os.Remove(path) }

// Resolver is the system's (DNS, /etc/hosts), which blocks.
func (OS) Resolver() (Resolver, bool) { return net.DefaultResolver, true }

// Pair returns two connected sockets (socketpair(AF_UNIX)), non-blocking
// and close-on-exec. Not part of Network: for tests and benchmarks.
func (OS) Pair() (a, b uintptr, err error) {
	fds, err := socketpairNonblock()
	if err != nil {
		return 0, 0, err
	}
	return uintptr(fds[0]), uintptr(fds[1]), nil
}

// SetBlocking switches fd between blocking and non-blocking mode. Not
// part of Network: for the blocking helpers of tests and benchmarks.
func (OS) SetBlocking(fd uintptr, blocking bool) error {
	return unix.SetNonblock(int(fd), !blocking)
}

func sockaddrOf(a Addr) (unix.Sockaddr, error) {
	switch a.Family {
	case IPv4, IPv6:
		ip := a.IP.Addr()
		if ip.Is4() {
			return &unix.SockaddrInet4{Port: int(a.IP.Port()), Addr: ip.As4()}, nil
		}
		sa := &unix.SockaddrInet6{Port: int(a.IP.Port()), Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			}
		}
		return sa, nil
	case Unix:
		return &unix.SockaddrUnix{Name: a.Path}, nil
	}
	return nil, syscall.EAFNOSUPPORT
}

func addrOf(sa unix.Sockaddr) Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return InetAddr(netip.AddrFrom4(sa.Addr), sa.Port)
	case *unix.SockaddrInet6:
		return InetAddr(netip.AddrFrom16(sa.Addr), sa.Port)
	case *unix.SockaddrUnix:
		if sa.Name == "@" {
			// Linux reports an unnamed peer as an empty abstract name,
			// which x/sys/unix spells "@".
			return UnixAddr("")
		}
		return UnixAddr(sa.Name)
	}
	return Addr{}
}
