package sock

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/f04742a6/reactor/internal/netsys"
)

// ErrWouldBlock is returned (wrapped) when a non-blocking call would block.
var ErrWouldBlock = errors.New("operation would block")

// sys is the socket layer: the operating system's.
var sys netsys.OS

func wrap(op string, fd uintptr, err error) error {
	if netsys.WouldBlock(err) {
		return ErrWouldBlock // a state, not a failure: no allocation on the hot path
	}
	return fmt.Errorf("sock: %s fd %d: %w", op, fd, err)
}

func loopback(port int) netsys.Addr {
	return netsys.IPAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port)))
}

// Pair returns two connected non-blocking stream sockets (a Unix socket
// pair, or TCP over loopback where there is none).
func Pair() (a, b uintptr, err error) {
	a, b, err = sys.Pair()
	if err != nil {
		return 0, 0, fmt.Errorf("sock: socket pair: %w", err)
	}
	return a, b, nil
}

// ListenTCP returns a non-blocking listener on 127.0.0.1 and its port
// (port 0 picks a free one).
func ListenTCP(port int) (fd uintptr, bound int, err error) {
	s, err := sys.Socket(netsys.IPv4, netsys.Stream)
	if err != nil {
		return 0, 0, fmt.Errorf("sock: socket: %w", err)
	}
	fail := func(op string, err error) (uintptr, int, error) {
		sys.Close(s)
		return 0, 0, wrap(op, s, err)
	}
	if err := sys.SetOption(s, netsys.ReuseAddr, true); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if err := sys.Bind(s, loopback(port)); err != nil {
		return fail("bind", err)
	}
	if err := sys.Listen(s, 1024); err != nil {
		return fail("listen", err)
	}
	a, err := sys.LocalAddr(s)
	if err != nil {
		return fail("getsockname", err)
	}
	return s, int(a.IP.Port()), nil
}

// Accept takes a pending connection as a non-blocking socket with
// TCP_NODELAY set. A connection aborted before it was accepted is
// skipped.
func Accept(fd uintptr) (uintptr, error) {
	for {
		nfd, _, err := sys.Accept(fd)
		if err != nil && netsys.AcceptTransient(err) {
			continue
		}
		if err != nil {
			return 0, wrap("accept", fd, err)
		}
		sys.SetOption(nfd, netsys.NoDelay, true) // best effort: latency only
		return nfd, nil
	}
}

// DialTCP connects to 127.0.0.1:port (blocking until connected) and
// returns a non-blocking socket with TCP_NODELAY set.
func DialTCP(port int) (uintptr, error) {
	s, err := sys.Socket(netsys.IPv4, netsys.Stream)
	if err != nil {
		return 0, fmt.Errorf("sock: socket: %w", err)
	}
	fail := func(op string, err error) (uintptr, error) {
		sys.Close(s)
		return 0, wrap(op, s, err)
	}
	// Blocking for the handshake only: the caller has no poller to wait
	// on, and over loopback it completes at once.
	if err := sys.SetBlocking(s, true); err != nil {
		return fail("set blocking", err)
	}
	if err := sys.Connect(s, loopback(port)); err != nil {
		return fail("connect", err)
	}
	if err := sys.SetBlocking(s, false); err != nil {
		return fail("set non-blocking", err)
	}
	sys.SetOption(s, netsys.NoDelay, true) // best effort: latency only
	return s, nil
}

// Read reads into p; 0, nil means end of stream.
func Read(fd uintptr, p []byte) (int, error) {
	n, err := sys.Read(fd, p)
	if err != nil {
		return 0, wrap("read", fd, err)
	}
	return n, nil
}

// Write writes what the socket takes of p.
func Write(fd uintptr, p []byte) (int, error) {
	n, err := sys.Write(fd, p)
	if err != nil {
		return 0, wrap("write", fd, err)
	}
	return n, nil
}

// ShutdownWrite half-closes the socket.
func ShutdownWrite(fd uintptr) error {
	if err := sys.ShutdownWrite(fd); err != nil {
		return wrap("shutdown", fd, err)
	}
	return nil
}

// Close closes the socket.
func Close(fd uintptr) error {
	if err := sys.Close(fd); err != nil {
		return wrap("close", fd, err)
	}
	return nil
}
