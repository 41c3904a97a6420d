//go:build linux || darwin || freebsd

package sock

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

func wrap(op string, fd uintptr, err error) error {
	if errors.Is(err, unix.EAGAIN) {
		return ErrWouldBlock // a state, not a failure: no allocation on the hot path
	}
	return fmt.Errorf("sock: %s fd %d: %w", op, fd, err)
}

// Pair returns two connected non-blocking stream sockets.
func Pair() (a, b uintptr, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("sock: socketpair: %w", err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return 0, 0, wrap("set nonblock", uintptr(fd), err)
		}
	}
	return uintptr(fds[0]), uintptr(fds[1]), nil
}

// ListenTCP returns a non-blocking listener on 127.0.0.1 and its port
// (port 0 picks a free one).
func ListenTCP(port int) (fd uintptr, bound int, err error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("sock: socket: %w", err)
	}
	unix.CloseOnExec(s)
	fail := func(op string, err error) (uintptr, int, error) {
		unix.Close(s)
		return 0, 0, wrap(op, uintptr(s), err)
	}
	if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if err := unix.Bind(s, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(s, 1024); err != nil {
		return fail("listen", err)
	}
	sa, err := unix.Getsockname(s)
	if err != nil {
		return fail("getsockname", err)
	}
	if err := unix.SetNonblock(s, true); err != nil {
		return fail("set nonblock", err)
	}
	return uintptr(s), sa.(*unix.SockaddrInet4).Port, nil
}

// Accept takes a pending connection as a non-blocking socket with
// TCP_NODELAY set.
func Accept(fd uintptr) (uintptr, error) {
	for {
		nfd, _, err := unix.Accept(int(fd))
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
			continue
		}
		if err != nil {
			return 0, wrap("accept", fd, err)
		}
		unix.CloseOnExec(nfd)
		if err := unix.SetNonblock(nfd, true); err != nil {
			unix.Close(nfd)
			return 0, wrap("set nonblock", uintptr(nfd), err)
		}
		unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		return uintptr(nfd), nil
	}
}

// DialTCP connects to 127.0.0.1:port (blocking until connected) and
// returns a non-blocking socket with TCP_NODELAY set.
func DialTCP(port int) (uintptr, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, fmt.Errorf("sock: socket: %w", err)
	}
	unix.CloseOnExec(s)
	if err := unix.Connect(s, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(s)
		return 0, wrap("connect", uintptr(s), err)
	}
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.SetNonblock(s, true); err != nil {
		unix.Close(s)
		return 0, wrap("set nonblock", uintptr(s), err)
	}
	return uintptr(s), nil
}

// Read reads into p; 0, nil means end of stream.
func Read(fd uintptr, p []byte) (int, error) {
	return transfer("read", fd, p, unix.Read)
}

// Write writes what the socket takes of p.
func Write(fd uintptr, p []byte) (int, error) {
	return transfer("write", fd, p, unix.Write)
}

// transfer runs a read or write, retrying when a signal interrupts it.
func transfer(op string, fd uintptr, p []byte, call func(int, []byte) (int, error)) (int, error) {
	for {
		n, err := call(int(fd), p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, wrap(op, fd, err)
		}
		return n, nil
	}
}

// ShutdownWrite half-closes the socket.
func ShutdownWrite(fd uintptr) error {
	if err := unix.Shutdown(int(fd), unix.SHUT_WR); err != nil {
		return wrap("shutdown", fd, err)
	}
	return nil
}

// Close closes the socket.
func Close(fd uintptr) error {
	if err := unix.Close(int(fd)); err != nil {
		return wrap("close", fd, err)
	}
	return nil
}
