package sock

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	ws2         = windows.NewLazySystemDLL("ws2_32.dll")
	procAccept  = ws2.NewProc("accept")
	procIoctl   = ws2.NewProc("ioctlsocket")
	procRecv    = ws2.NewProc("recv")
	procSend    = ws2.NewProc("send")
	startupOnce sync.Once
	startupErr  error
)

func startup() error {
	startupOnce.Do(func() {
		var d windows.WSAData
		startupErr = windows.WSAStartup(uint32(0x202), &d)
	})
	return startupErr
}

// invalidSocket is INVALID_SOCKET, a SOCKET (pointer-sized); functions that
// return an int report SOCKET_ERROR as a 32-bit -1 instead.
const invalidSocket = ^uintptr(0)

func failed(r uintptr) bool { return int32(r) == -1 }

// The raw Winsock calls package streams makes too: they return the
// Winsock error itself (WSAEWOULDBLOCK included), unwrapped.

// Startup starts Winsock, once per process.
func Startup() error { return startup() }

// SetNonblock puts a socket in non-blocking mode (FIONBIO).
func SetNonblock(s uintptr) error {
	one := uint32(1)
	const fionbio = 0x8004667e
	if r, _, err := procIoctl.Call(s, fionbio, uintptr(unsafe.Pointer(&one))); failed(r) {
		return err
	}
	return nil
}

// RawAccept accepts a connection; the new socket inherits nothing.
func RawAccept(fd uintptr) (uintptr, error) {
	r, _, err := procAccept.Call(fd, 0, 0)
	if r == invalidSocket {
		return 0, err
	}
	return r, nil
}

// RawRecv and RawSend are recv(2) and send(2).
func RawRecv(fd uintptr, p []byte) (int, error) { return rawTransfer(procRecv, fd, p) }
func RawSend(fd uintptr, p []byte) (int, error) { return rawTransfer(procSend, fd, p) }

// rawTransfer calls recv or send through syscall.SyscallN, whose Errno
// result is boxed into an error only on failure (LazyProc.Call boxes it
// on every call: an allocation per read).
func rawTransfer(proc *windows.LazyProc, fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, errno := syscall.SyscallN(proc.Addr(), fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0)
	if failed(r) {
		return 0, errno
	}
	return int(int32(r)), nil
}

func wrap(op string, fd uintptr, err error) error {
	if errors.Is(err, windows.WSAEWOULDBLOCK) {
		return ErrWouldBlock // a state, not a failure: no allocation on the hot path
	}
	return fmt.Errorf("sock: %s socket %d: %w", op, fd, err)
}

func setNonblock(s windows.Handle) error {
	if err := SetNonblock(uintptr(s)); err != nil {
		return wrap("ioctlsocket FIONBIO", uintptr(s), err)
	}
	return nil
}

func newTCP() (windows.Handle, error) {
	if err := startup(); err != nil {
		return 0, fmt.Errorf("sock: WSAStartup: %w", err)
	}
	s, err := windows.Socket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return 0, fmt.Errorf("sock: socket: %w", err)
	}
	return s, nil
}

// ListenTCP returns a non-blocking listener on 127.0.0.1 and its port.
func ListenTCP(port int) (uintptr, int, error) {
	s, err := newTCP()
	if err != nil {
		return 0, 0, err
	}
	fail := func(op string, err error) (uintptr, int, error) {
		windows.Closesocket(s)
		return 0, 0, wrap(op, uintptr(s), err)
	}
	if err := windows.Bind(s, &windows.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail("bind", err)
	}
	if err := windows.Listen(s, 1024); err != nil {
		return fail("listen", err)
	}
	sa, err := windows.Getsockname(s)
	if err != nil {
		return fail("getsockname", err)
	}
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return 0, 0, err
	}
	return uintptr(s), sa.(*windows.SockaddrInet4).Port, nil
}

// Accept takes a pending connection as a non-blocking socket with
// TCP_NODELAY set.
func Accept(fd uintptr) (uintptr, error) {
	r, err := RawAccept(fd)
	if err != nil {
		return 0, wrap("accept", fd, err)
	}
	s := windows.Handle(r)
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return 0, err
	}
	windows.SetsockoptInt(s, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
	return uintptr(s), nil
}

// DialTCP connects to 127.0.0.1:port (blocking until connected) and
// returns a non-blocking socket with TCP_NODELAY set.
func DialTCP(port int) (uintptr, error) {
	s, err := newTCP()
	if err != nil {
		return 0, err
	}
	if err := windows.Connect(s, &windows.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		windows.Closesocket(s)
		return 0, wrap("connect", uintptr(s), err)
	}
	windows.SetsockoptInt(s, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return 0, err
	}
	return uintptr(s), nil
}

// Pair returns two connected non-blocking TCP sockets over loopback
// (Windows has no socketpair).
func Pair() (a, b uintptr, err error) {
	l, port, err := ListenTCP(0)
	if err != nil {
		return 0, 0, err
	}
	defer Close(l)
	a, err = DialTCP(port)
	if err != nil {
		return 0, 0, err
	}
	for {
		b, err = Accept(l)
		if !errors.Is(err, ErrWouldBlock) {
			break
		}
		windows.SleepEx(1, false) // the connection is complete; accept sees it at once
	}
	if err != nil {
		Close(a)
		return 0, 0, err
	}
	return a, b, nil
}

// Read reads into p; 0, nil means end of stream.
func Read(fd uintptr, p []byte) (int, error) {
	n, err := RawRecv(fd, p)
	if err != nil {
		return 0, wrap("recv", fd, err)
	}
	return n, nil
}

// Write writes what the socket takes of p.
func Write(fd uintptr, p []byte) (int, error) {
	n, err := RawSend(fd, p)
	if err != nil {
		return 0, wrap("send", fd, err)
	}
	return n, nil
}

// ShutdownWrite half-closes the socket.
func ShutdownWrite(fd uintptr) error {
	if err := windows.Shutdown(windows.Handle(fd), windows.SHUT_WR); err != nil {
		return wrap("shutdown", fd, err)
	}
	return nil
}

// Close closes the socket.
func Close(fd uintptr) error {
	if err := windows.Closesocket(windows.Handle(fd)); err != nil {
		return wrap("closesocket", fd, err)
	}
	return nil
}
