package netsys

import (
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// OS is the operating system's socket layer: on Windows, Winsock through
// golang.org/x/sys/windows. Sockets are non-blocking (FIONBIO); readiness
// comes from the reactor's AFD polls. Winsock's errors are mapped onto
// the portable vocabulary (errors.go). There are no Unix sockets and no
// SO_REUSEPORT here. It has no state: OS{} is the value.
type OS struct{}

var _ Network = OS{}

var (
	ws2         = windows.NewLazySystemDLL("ws2_32.dll")
	procAccept  = ws2.NewProc("accept")
	procIoctl   = ws2.NewProc("ioctlsocket")
	procRecv    = ws2.NewProc("recv")
	procSend    = ws2.NewProc("send")
	startupOnce sync.Once
	startupErr  error
)

// startup starts Winsock, once per process.
func startup() error {
	startupOnce.Do(func() {
		var d windows.WSAData
		startupErr = windows.WSAStartup(uint32(0x202), &d)
	})
	return startupErr
}

// invalidSocket is INVALID_SOCKET, a SOCKET (pointer-sized); functions
// that return an int report SOCKET_ERROR as a 32-bit -1 instead.
const invalidSocket = ^uintptr(0)

func failed(r uintptr) bool { return int32(r) == -1 }

// soError is SO_ERROR, which x/sys/windows does not name.
const soError = 0x1007

// portable maps a Winsock error onto the vocabulary: WSAEWOULDBLOCK is
// EAGAIN itself (no allocation: it is the common case); the others it
// knows keep Winsock's message and match the portable errno too.
func portable(err error) error {
	e, ok := err.(syscall.Errno)
	if !ok {
		return err
	}
	var p syscall.Errno
	switch e {
	case windows.WSAEWOULDBLOCK:
		return syscall.EAGAIN
	case windows.WSAECONNRESET, windows.WSAECONNABORTED:
		// An abort on an established connection is a reset to its user;
		// before accept, AcceptTransient retries ECONNRESET too.
		p = syscall.ECONNRESET
	case windows.WSAESHUTDOWN:
		p = syscall.EPIPE
	case windows.WSAECONNREFUSED:
		p = syscall.ECONNREFUSED
	case windows.WSAEINTR:
		p = syscall.EINTR
	case windows.WSAENETDOWN:
		p = syscall.ENETDOWN
	case windows.WSAENETUNREACH:
		p = syscall.ENETUNREACH
	case windows.WSAEHOSTUNREACH:
		p = syscall.EHOSTUNREACH
	case windows.WSAETIMEDOUT:
		p = syscall.ETIMEDOUT
	case windows.WSAEMFILE:
		p = syscall.EMFILE
	case windows.WSAENOBUFS:
		p = syscall.ENOBUFS
	case windows.WSAENOTSOCK:
		p = syscall.ENOTSOCK
	case windows.WSAEBADF:
		p = syscall.EBADF
	case windows.WSAEADDRINUSE:
		p = syscall.EADDRINUSE
	case windows.WSAEADDRNOTAVAIL:
		p = syscall.EADDRNOTAVAIL
	case windows.WSAENOTCONN:
		p = syscall.ENOTCONN
	case windows.WSAEAFNOSUPPORT:
		p = syscall.EAFNOSUPPORT
	case windows.WSAEMSGSIZE:
		p = syscall.EMSGSIZE
	default:
		return err
	}
	return &mappedError{portable: p, sys: e}
}

func (OS) Socket(f Family, t Type) (uintptr, error) {
	var fam, typ, proto int32
	switch f {
	case IPv4:
		fam = windows.AF_INET
	case IPv6:
		fam = windows.AF_INET6
	case Unix:
		return 0, unsupported("a Unix socket")
	default:
		return 0, syscall.EAFNOSUPPORT
	}
	switch t {
	case Stream:
		typ, proto = windows.SOCK_STREAM, windows.IPPROTO_TCP
	case Datagram:
		typ, proto = windows.SOCK_DGRAM, windows.IPPROTO_UDP
	default:
		return 0, syscall.EPROTOTYPE
	}
	if err := startup(); err != nil {
		return 0, err
	}
	h, err := windows.WSASocket(fam, typ, proto, nil, 0, windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return 0, portable(err)
	}
	if err := setNonblock(uintptr(h), true); err != nil {
		windows.Closesocket(h)
		return 0, err
	}
	return uintptr(h), nil
}

// setNonblock sets or clears FIONBIO.
func setNonblock(s uintptr, on bool) error {
	v := uint32(0)
	if on {
		v = 1
	}
	const fionbio = 0x8004667e
	if r, _, err := procIoctl.Call(s, fionbio, uintptr(unsafe.Pointer(&v))); failed(r) {
		return portable(err)
	}
	return nil
}

func (OS) Bind(fd uintptr, a Addr) error {
	sa, err := sockaddrOf(a)
	if err != nil {
		return err
	}
	return portable(windows.Bind(windows.Handle(fd), sa))
}

func (OS) Listen(fd uintptr, backlog int) error {
	if backlog <= 0 {
		backlog = windows.SOMAXCONN
	}
	return portable(windows.Listen(windows.Handle(fd), backlog))
}

// Accept calls accept directly (x/sys/windows has only AcceptEx); the new
// socket inherits nothing, so it is made non-blocking here.
func (o OS) Accept(fd uintptr) (uintptr, Addr, error) {
	r, _, errno := syscall.SyscallN(procAccept.Addr(), fd, 0, 0)
	if r == invalidSocket {
		return 0, Addr{}, portable(errno)
	}
	if err := setNonblock(r, true); err != nil {
		windows.Closesocket(windows.Handle(r))
		return 0, Addr{}, err
	}
	remote, _ := o.RemoteAddr(r)
	return r, remote, nil
}

func (OS) Connect(fd uintptr, a Addr) error {
	sa, err := sockaddrOf(a)
	if err != nil {
		return err
	}
	err = windows.Connect(windows.Handle(fd), sa)
	switch err {
	case windows.WSAEWOULDBLOCK, windows.WSAEINPROGRESS, windows.WSAEALREADY:
		return syscall.EINPROGRESS
	}
	return portable(err)
}

func (OS) SocketError(fd uintptr) error {
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soError)
	if err != nil {
		return portable(err)
	}
	if v != 0 {
		return portable(syscall.Errno(v))
	}
	return nil
}

func (OS) Read(fd uintptr, p []byte) (int, error)  { return transfer(procRecv, fd, p) }
func (OS) Write(fd uintptr, p []byte) (int, error) { return transfer(procSend, fd, p) }

// transfer calls recv or send through syscall.SyscallN, whose Errno
// result is boxed into an error only on failure (LazyProc.Call boxes it
// on every call: an allocation per read), and returns WSAEWOULDBLOCK as
// the constant EAGAIN (boxing a constant allocates nothing).
func transfer(proc *windows.LazyProc, fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, errno := syscall.SyscallN(proc.Addr(), fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0)
	if failed(r) {
		if errno == windows.WSAEWOULDBLOCK {
			return 0, syscall.EAGAIN
		}
		return 0, portable(errno)
	}
	return int(int32(r)), nil
}

func (OS) RecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	n, sa, err := windows.Recvfrom(windows.Handle(fd), p, 0)
	if err != nil {
		return 0, netip.AddrPort{}, portable(err)
	}
	return n, addrOf(sa).IP, nil
}

func (OS) SendTo(fd uintptr, p []byte, to netip.AddrPort) (int, error) {
	sa, err := sockaddrOf(IPAddr(to))
	if err != nil {
		return 0, err
	}
	if err := windows.Sendto(windows.Handle(fd), p, 0, sa); err != nil {
		return 0, portable(err)
	}
	return len(p), nil
}

func (OS) ShutdownWrite(fd uintptr) error {
	return portable(windows.Shutdown(windows.Handle(fd), windows.SHUT_WR))
}

func (OS) Close(fd uintptr) error { return portable(windows.Closesocket(windows.Handle(fd))) }

func (OS) SetOption(fd uintptr, o Option, on bool) error {
	v := 0
	if on {
		v = 1
	}
	h := windows.Handle(fd)
	switch o {
	case NoDelay:
		return portable(windows.SetsockoptInt(h, windows.IPPROTO_TCP, windows.TCP_NODELAY, v))
	case ReuseAddr:
		// SO_REUSEADDR on Windows lets another socket steal the port:
		// package net does not set it, and neither do we.
		return nil
	case ReusePort:
		return unsupported("SO_REUSEPORT")
	case V6Only:
		return portable(windows.SetsockoptInt(h, windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, v))
	}
	return syscall.ENOPROTOOPT
}

func (OS) LocalAddr(fd uintptr) (Addr, error) {
	sa, err := windows.Getsockname(windows.Handle(fd))
	if err != nil {
		return Addr{}, portable(err)
	}
	return addrOf(sa), nil
}

func (OS) RemoteAddr(fd uintptr) (Addr, error) {
	sa, err := windows.Getpeername(windows.Handle(fd))
	if err != nil {
		return Addr{}, portable(err)
	}
	return addrOf(sa), nil
}

// Unlink has nothing to remove: there are no Unix sockets here.
func (OS) Unlink(string) error { return nil }

// Resolver is the system's (DNS, the hosts file), which blocks.
func (OS) Resolver() (Resolver, bool) { return net.DefaultResolver, true }

// Pair returns two connected non-blocking TCP sockets over loopback
// (Windows has no socketpair). Not part of Network: for tests and
// benchmarks.
func (o OS) Pair() (a, b uintptr, err error) {
	l, err := o.Socket(IPv4, Stream)
	if err != nil {
		return 0, 0, err
	}
	defer o.Close(l)
	loopback := IPAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0))
	if err := o.Bind(l, loopback); err != nil {
		return 0, 0, err
	}
	if err := o.Listen(l, 1); err != nil {
		return 0, 0, err
	}
	at, err := o.LocalAddr(l)
	if err != nil {
		return 0, 0, err
	}
	if a, err = o.Socket(IPv4, Stream); err != nil {
		return 0, 0, err
	}
	// Blocking for the handshake and the accept: both complete at once
	// over loopback, and nothing is there to wait for readiness.
	if err = o.dialBlocking(a, at); err == nil {
		if err = o.SetBlocking(l, true); err == nil {
			b, _, err = o.Accept(l) // non-blocking again: Accept sets it
		}
	}
	if err != nil {
		o.Close(a)
		return 0, 0, err
	}
	return a, b, nil
}

// dialBlocking connects fd to at, blocking, and leaves it non-blocking.
func (o OS) dialBlocking(fd uintptr, at Addr) error {
	if err := o.SetBlocking(fd, true); err != nil {
		return err
	}
	if err := o.Connect(fd, at); err != nil {
		return err
	}
	return o.SetBlocking(fd, false)
}

// SetBlocking switches fd between blocking and non-blocking mode. Not
// part of Network: for the blocking helpers of tests and benchmarks.
func (OS) SetBlocking(fd uintptr, blocking bool) error { return setNonblock(fd, !blocking) }

func sockaddrOf(a Addr) (windows.Sockaddr, error) {
	switch a.Family {
	case IPv4, IPv6:
		ip := a.IP.Addr()
		if ip.Is4() {
			return &windows.SockaddrInet4{Port: int(a.IP.Port()), Addr: ip.As4()}, nil
		}
		return &windows.SockaddrInet6{Port: int(a.IP.Port()), Addr: ip.As16()}, nil
	case Unix:
		return nil, unsupported("a Unix socket")
	}
	return nil, syscall.EAFNOSUPPORT
}

func addrOf(sa windows.Sockaddr) Addr {
	switch sa := sa.(type) {
	case *windows.SockaddrInet4:
		return InetAddr(netip.AddrFrom4(sa.Addr), sa.Port)
	case *windows.SockaddrInet6:
		return InetAddr(netip.AddrFrom16(sa.Addr), sa.Port)
	}
	return Addr{}
}
