package streams

import (
	"errors"
	"net"
	"net/netip"
	"syscall"

	"github.com/f04742a6/reactor/internal/sock"
	"golang.org/x/sys/windows"
)

// The system calls streams make, on Windows (Winsock). Sockets are
// non-blocking (FIONBIO); readiness comes from the reactor's AFD polls.
// Unix sockets and SO_REUSEPORT are not offered here.

const errAgain = windows.WSAEWOULDBLOCK

type sockaddr = windows.Sockaddr

// osError maps the Winsock errors a stream reports onto the portable
// errnos, so errors.Is(err, syscall.ECONNRESET) holds here too.
func osError(err error) error {
	var portable syscall.Errno
	switch err {
	case windows.WSAECONNRESET, windows.WSAECONNABORTED:
		portable = syscall.ECONNRESET
	case windows.WSAESHUTDOWN:
		portable = syscall.EPIPE
	case windows.WSAECONNREFUSED:
		portable = syscall.ECONNREFUSED
	default:
		return err
	}
	return &mappedError{err: err, portable: portable}
}

type mappedError struct {
	err      error
	portable syscall.Errno
}

func (e *mappedError) Error() string   { return e.err.Error() }
func (e *mappedError) Unwrap() []error { return []error{e.err, e.portable} }

func sysSocket(family, typ int) (uintptr, error) {
	if family == afUnix {
		return 0, errors.New("unix sockets are not supported on windows by this package")
	}
	if err := sock.Startup(); err != nil {
		return 0, err
	}
	proto := windows.IPPROTO_TCP
	if typ == sockDgram {
		proto = windows.IPPROTO_UDP
	}
	h, err := windows.WSASocket(int32(family), int32(typ), int32(proto), nil, 0, windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return 0, err
	}
	if err := sock.SetNonblock(uintptr(h)); err != nil {
		windows.Closesocket(h)
		return 0, err
	}
	return uintptr(h), nil
}

func sysClose(fd uintptr) error { return windows.Closesocket(windows.Handle(fd)) }

func sysRead(fd uintptr, p []byte) (int, error)  { return sock.RawRecv(fd, p) }
func sysWrite(fd uintptr, p []byte) (int, error) { return sock.RawSend(fd, p) }

func sysShutdownWrite(fd uintptr) error { return windows.Shutdown(windows.Handle(fd), windows.SHUT_WR) }

func sysAccept(fd uintptr) (uintptr, net.Addr, error) {
	r, err := sock.RawAccept(fd)
	if err != nil {
		return 0, nil, err
	}
	if err := sock.SetNonblock(r); err != nil {
		windows.Closesocket(windows.Handle(r))
		return 0, nil, err
	}
	return r, sysRemoteAddr(r, sockStream), nil
}

func sysListen(fd uintptr) error { return windows.Listen(windows.Handle(fd), windows.SOMAXCONN) }

// SO_REUSEADDR on Windows lets another socket steal the port: package net
// does not set it, and neither do we.
func sysSetReuseAddr(fd uintptr) error { return nil }

func sysSetReusePort(fd uintptr) error {
	return errors.New("SO_REUSEPORT is not supported on windows")
}

func sysSetNoDelay(fd uintptr) error {
	return windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
}

func sysSetV6Only(fd uintptr, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, v)
}

func sysSocketError(fd uintptr) error {
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soError)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

var errInProgress = errors.New("connect in progress")

// soError is SO_ERROR, which x/sys/windows does not name.
const soError = 0x1007

func sysConnect(fd uintptr, sa sockaddr) error {
	err := windows.Connect(windows.Handle(fd), sa)
	if err == windows.WSAEWOULDBLOCK || err == windows.WSAEINPROGRESS {
		return errInProgress
	}
	return err
}

func sysBind(fd uintptr, sa sockaddr) error { return windows.Bind(windows.Handle(fd), sa) }

func sysRecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	n, sa, err := windows.Recvfrom(windows.Handle(fd), p, 0)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	return n, addrPortOf(sa), nil
}

func sysSendTo(fd uintptr, p []byte, ip netip.Addr, port uint16) (int, error) {
	if err := windows.Sendto(windows.Handle(fd), p, 0, sockaddrOf(netip.AddrPortFrom(ip, port))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return windows.AF_INET
	}
	return windows.AF_INET6
}

const (
	afUnix     = windows.AF_UNIX
	sockStream = windows.SOCK_STREAM
	sockDgram  = windows.SOCK_DGRAM
)

func sockaddrOf(ap netip.AddrPort) sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &windows.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &windows.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

func unixSockaddr(path string) sockaddr { return &windows.SockaddrUnix{Name: path} }

func addrPortOf(sa sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *windows.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *windows.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func netAddr(sa sockaddr, typ int) net.Addr {
	switch sa.(type) {
	case *windows.SockaddrInet4, *windows.SockaddrInet6:
		ap := addrPortOf(sa)
		if typ == sockDgram {
			return net.UDPAddrFromAddrPort(ap)
		}
		return net.TCPAddrFromAddrPort(ap)
	}
	return nil
}

func sysLocalAddr(fd uintptr, typ int) net.Addr {
	sa, err := windows.Getsockname(windows.Handle(fd))
	if err != nil {
		return nil
	}
	return netAddr(sa, typ)
}

func sysRemoteAddr(fd uintptr, typ int) net.Addr {
	sa, err := windows.Getpeername(windows.Handle(fd))
	if err != nil {
		return nil
	}
	return netAddr(sa, typ)
}

func acceptTransient(err error) bool {
	switch err {
	case windows.WSAECONNABORTED, windows.WSAECONNRESET, windows.WSAEINTR, windows.WSAENETDOWN:
		return true
	}
	return false
}

func acceptExhausted(err error) bool {
	switch err {
	case windows.WSAEMFILE, windows.WSAENOBUFS:
		return true
	}
	return false
}

func closedUnderfoot(err error) bool { return err == windows.WSAENOTSOCK || err == windows.WSAEBADF }
