package streams

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// SocketListener is a listening TCP or Unix socket, registered with its
// task's loop for its whole life.
type SocketListener struct {
	pfd  *task.PollFD
	fd   uintptr
	sys  netsys.Network // the socket layer of fd and of the streams it accepts
	addr net.Addr
	path string // a Unix socket's file, removed on Close
	// accepting marks the task inside Accept: a second one is busy.
	accepting bool
	logger    *slog.Logger
}

// ListenOption configures ListenTCP.
type ListenOption func(*listenConfig)

type listenConfig struct {
	reusePort bool
	logger    *slog.Logger
}

// ReusePort sets SO_REUSEPORT, so that several listeners (one per loop,
// see task.RunParallel) can bind the same address and the kernel spreads
// incoming connections between them. On Linux the spread is a hash of the
// connection's addresses, not a measure of load, and closing one of the
// listeners resets the connections still queued on it.
func ReusePort() ListenOption { return func(c *listenConfig) { c.reusePort = true } }

// ListenLogger sets where Accept reports that it backs off (descriptor
// exhaustion), and where Serve reports the listener's failed connections
// (see ServeLogging); the default is slog.Default().
func ListenLogger(l *slog.Logger) ListenOption { return func(c *listenConfig) { c.logger = l } }

// ListenTCP listens on address ("127.0.0.1:0", "[::1]:8080", ":80"; an
// empty host listens on every address of both families where the system
// allows it). SO_REUSEADDR is set, as package net does.
func ListenTCP(ctx context.Context, address string, opts ...ListenOption) (*SocketListener, error) {
	var cfg listenConfig
	for _, o := range opts {
		o(&cfg)
	}
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, opError("listen", nil, nil, err)
	}
	sys := sysOf(ctx)
	var ip netip.Addr
	dual := host == ""
	if dual {
		ip = netip.IPv6Unspecified()
	} else if ip, err = netip.ParseAddr(host); err != nil {
		r, blocks := sys.Resolver()
		ips, rerr := resolve(ctx, r, blocks, host)
		if rerr != nil {
			return nil, opError("listen", nil, nil, rerr)
		}
		ip = ips[0]
	}
	ap := netip.AddrPortFrom(ip, port)
	fd, err := sys.Socket(netsys.FamilyOf(ip), netsys.Stream)
	if err != nil && dual { // no IPv6 here: the IPv4 wildcard
		ip, ap = netip.IPv4Unspecified(), netip.AddrPortFrom(netip.IPv4Unspecified(), port)
		dual = false
		fd, err = sys.Socket(netsys.FamilyOf(ip), netsys.Stream)
	}
	if err != nil {
		return nil, opError("listen", net.TCPAddrFromAddrPort(ap), nil, syscallError("socket", err))
	}
	setup := func() error {
		if err := sys.SetOption(fd, netsys.ReuseAddr, true); err != nil {
			return syscallError("setsockopt SO_REUSEADDR", err)
		}
		if cfg.reusePort {
			if err := sys.SetOption(fd, netsys.ReusePort, true); err != nil {
				return syscallError("setsockopt SO_REUSEPORT", err)
			}
		}
		if dual {
			sys.SetOption(fd, netsys.V6Only, false) // best effort: where it fails, the listener is IPv6 only
		}
		if err := sys.Bind(fd, netsys.IPAddr(ap)); err != nil {
			return syscallError("bind", err)
		}
		return nil
	}
	return listenOn(ctx, sys, fd, net.TCPAddrFromAddrPort(ap), "", cfg, setup)
}

// ListenUnix listens on the Unix socket file path; Close removes it.
func ListenUnix(ctx context.Context, path string) (*SocketListener, error) {
	addr := &net.UnixAddr{Name: path, Net: "unix"}
	sys := sysOf(ctx)
	fd, err := sys.Socket(netsys.Unix, netsys.Stream)
	if err != nil {
		return nil, opError("listen", addr, nil, syscallError("socket", err))
	}
	setup := func() error {
		if err := sys.Bind(fd, netsys.UnixAddr(path)); err != nil {
			return syscallError("bind", err)
		}
		return nil
	}
	return listenOn(ctx, sys, fd, addr, path, listenConfig{}, setup)
}

// listenOn finishes a listener: setup (options, bind), listen, register.
func listenOn(ctx context.Context, sys netsys.Network, fd uintptr, want net.Addr, path string, cfg listenConfig, setup func() error) (*SocketListener, error) {
	if err := setup(); err != nil {
		sys.Close(fd)
		return nil, opError("listen", want, nil, err)
	}
	if err := sys.Listen(fd, 0); err != nil {
		sys.Close(fd)
		return nil, opError("listen", want, nil, syscallError("listen", err))
	}
	pfd, err := task.RegisterFD(ctx, fd)
	if err != nil {
		sys.Close(fd)
		return nil, opError("listen", want, nil, err)
	}
	addr := askLocalAddr(sys, fd, netsys.Stream)
	if addr == nil {
		addr = want
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	l := &SocketListener{pfd: pfd, fd: fd, sys: sys, addr: addr, path: path, logger: cfg.logger}
	pfd.Own(l) // Run closes it if it is still open when Run returns
	return l, nil
}

// Accept backoff on descriptor or memory exhaustion: from the first to the
// last, doubling, as net/http's Server does (Trio sleeps a flat 100 ms;
// gnet's engine stops accepting, tokio retries at once).
const (
	firstBackoff = 5 * time.Millisecond
	lastBackoff  = time.Second
)

// Accept waits for a connection and returns it as a *SocketStream with
// TCP_NODELAY set. Transient failures (a connection aborted before it was
// accepted) are retried silently. When the process or system is out of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), Accept logs it
// and sleeps on the loop's timers, from 5 ms doubling to 1 s, and tries
// again: it never spins, and it serves again once descriptors free up.
// A Close from any goroutine wakes it with task.ErrClosedResource.
func (l *SocketListener) Accept(ctx context.Context) (Stream, error) {
	s, err := l.AcceptSocket(ctx)
	if err != nil {
		return nil, err // not a nil *SocketStream in a non-nil Stream
	}
	return s, nil
}

// AcceptSocket is Accept with the concrete type.
func (l *SocketListener) AcceptSocket(ctx context.Context) (*SocketStream, error) {
	// The Run check first: from another Run, the busy flag is not ours to read.
	if err := l.pfd.CheckCancelled(ctx, "Accept"); err != nil {
		return nil, err
	}
	if l.accepting {
		return nil, busyError("accept", l.addr, "accepting")
	}
	l.accepting = true
	defer func() { l.accepting = false }()
	backoff := time.Duration(0)
	for {
		if l.pfd.Closed() {
			return nil, closedError("accept", l.addr)
		}
		if !l.pfd.CanRead() {
			if err := l.pfd.WaitReadable(ctx, "Accept"); err != nil {
				if l.pfd.Closed() {
					return nil, closedError("accept", l.addr)
				}
				return nil, err
			}
		}
		nfd, remote, err := l.sys.Accept(l.fd)
		switch {
		case err == nil:
			if l.path == "" {
				l.sys.SetOption(nfd, netsys.NoDelay, true) // best effort, as in connect
			}
			s, err := newSocketStream(ctx, l.sys, nfd, netsys.Stream, netAddr(remote, netsys.Stream))
			if err != nil {
				return nil, opError("accept", l.addr, nil, err)
			}
			task.Progress(ctx)
			return s, nil
		case netsys.WouldBlock(err):
			l.pfd.Consume(reactor.Readable)
		case netsys.AcceptTransient(err):
		case netsys.AcceptExhausted(err):
			backoff = min(max(2*backoff, firstBackoff), lastBackoff)
			l.logger.Warn("streams: accept failed; retrying after a pause",
				"addr", l.addr.String(), "error", err.Error(), "pause", backoff)
			if err := task.Sleep(ctx, backoff); err != nil {
				return nil, err
			}
		default:
			return nil, opError("accept", l.addr, nil, syscallError("accept", err))
		}
	}
}

// Addr returns the address the listener is bound to (with the port the
// system chose for port 0).
func (l *SocketListener) Addr() net.Addr { return l.addr }

// FD returns the listening socket, for socket options.
func (l *SocketListener) FD() uintptr { return l.fd }

// Close stops listening; it is idempotent and safe from any goroutine,
// and wakes a blocked Accept with task.ErrClosedResource. A Unix
// listener's socket file is removed.
func (l *SocketListener) Close() error {
	return l.pfd.Close(func(fd uintptr) error {
		err := l.sys.Close(fd)
		if l.path != "" {
			l.sys.Unlink(l.path) // gone already is fine: the socket is closed either way
		}
		if err != nil {
			return opError("close", l.addr, nil, err)
		}
		return nil
	})
}

// splitHostPort splits "host:port" into its host and numeric port.
func splitHostPort(address string) (string, uint16, error) {
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, err
	}
	port, err := net.LookupPort("tcp", ps)
	if err != nil {
		return "", 0, err
	}
	if port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %d out of range", port)
	}
	return host, uint16(port), nil
}
