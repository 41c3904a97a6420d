//go:build linux || darwin || freebsd

package streams

import (
	"errors"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls streams make, on Unix. Each returns the raw errno, so
// that the caller can tell EAGAIN (a state, handled without allocating)
// from a failure (wrapped with the operation and the peer).

// errAgain is the errno of a non-blocking call that would block.
const errAgain = unix.EAGAIN

// sockaddr is the system's socket address type.
type sockaddr = unix.Sockaddr

// osError returns a system call's error as the errno it is.
func osError(err error) error { return err }

// sysSocket makes a non-blocking, close-on-exec socket.
func sysSocket(family, typ int) (uintptr, error) {
	fd, err := socketNonblock(family, typ)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func sysClose(fd uintptr) error { return unix.Close(int(fd)) }

func sysRead(fd uintptr, p []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), p)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

func sysWrite(fd uintptr, p []byte) (int, error) {
	for {
		n, err := unix.Write(int(fd), p)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

func sysShutdownWrite(fd uintptr) error { return unix.Shutdown(int(fd), unix.SHUT_WR) }

// sysAccept accepts a connection and returns the peer's address, which
// accept reports anyway (no getpeername).
func sysAccept(fd uintptr) (uintptr, net.Addr, error) {
	nfd, sa, err := acceptNonblock(int(fd))
	if err != nil {
		return 0, nil, err
	}
	return uintptr(nfd), netAddr(sa, sockStream), nil
}

func sysListen(fd uintptr) error { return unix.Listen(int(fd), unix.SOMAXCONN) }

func sysSetReuseAddr(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
}

func sysSetReusePort(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}

func sysSetNoDelay(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

func sysSetV6Only(fd uintptr, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v)
}

// sysSocketError returns the socket's pending error (SO_ERROR): the
// outcome of a non-blocking connect.
func sysSocketError(fd uintptr) error {
	v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

// sysConnect starts a non-blocking connect; errInProgress means wait
// for writability, then read SO_ERROR.
func sysConnect(fd uintptr, sa unix.Sockaddr) error {
	for {
		err := unix.Connect(int(fd), sa)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EINPROGRESS || err == unix.EALREADY {
			return errInProgress
		}
		return err
	}
}

var errInProgress = errors.New("connect in progress")

func sysBind(fd uintptr, sa unix.Sockaddr) error { return unix.Bind(int(fd), sa) }

func sysRecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	for {
		n, sa, err := unix.Recvfrom(int(fd), p, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		return n, addrPortOf(sa), nil
	}
}

func sysSendTo(fd uintptr, p []byte, ip netip.Addr, port uint16) (int, error) {
	to := sockaddrOf(netip.AddrPortFrom(ip, port))
	for {
		err := unix.Sendto(int(fd), p, 0, to)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
}

// family returns the address family for an address.
func family(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

const (
	afUnix     = unix.AF_UNIX
	sockStream = unix.SOCK_STREAM
	sockDgram  = unix.SOCK_DGRAM
)

func sockaddrOf(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa
}

func unixSockaddr(path string) unix.Sockaddr { return &unix.SockaddrUnix{Name: path} }

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// netAddr converts a socket address to the net package's types.
func netAddr(sa unix.Sockaddr, typ int) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		ap := addrPortOf(sa)
		if typ == sockDgram {
			return net.UDPAddrFromAddrPort(ap)
		}
		return net.TCPAddrFromAddrPort(ap)
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	return nil
}

func sysLocalAddr(fd uintptr, typ int) net.Addr {
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		return nil
	}
	return netAddr(sa, typ)
}

func sysRemoteAddr(fd uintptr, typ int) net.Addr {
	sa, err := unix.Getpeername(int(fd))
	if err != nil {
		return nil
	}
	return netAddr(sa, typ)
}

// Accept errors: transient ones are retried at once, resource exhaustion
// is backed off from.
func acceptTransient(err error) bool {
	switch err {
	case unix.ECONNABORTED, unix.EPROTO, unix.EINTR, unix.EPERM,
		unix.ENETDOWN, unix.ENOPROTOOPT, unix.EHOSTDOWN,
		unix.EHOSTUNREACH, unix.EOPNOTSUPP, unix.ENETUNREACH:
		return true
	}
	return false
}

func acceptExhausted(err error) bool {
	switch err {
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		return true
	}
	return false
}

// closedUnderfoot reports an errno that means the fd is not a socket (any
// more): it was closed behind the stream's back.
func closedUnderfoot(err error) bool { return err == unix.EBADF || err == unix.ENOTSOCK }
