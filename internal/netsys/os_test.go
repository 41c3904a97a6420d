//go:build linux || darwin || freebsd || windows

package netsys_test

import (
	"bytes"
	"errors"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
)

// The operating system's socket layer against the contract of
// netsys.Network, waiting for readiness on the reactor's poller as
// streams does.

var sys netsys.OS

var loopback4 = netsys.IPAddr(netip.MustParseAddrPort("127.0.0.1:0"))

// poller returns a poller closed with the test.
func poller(t *testing.T) reactor.Poller {
	t.Helper()
	p, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// await registers fd (once per test: the caller says so) and waits for
// an event on it with one of bits, failing the test after 10 s. As
// streams does, it first consumes the bits (the registration starts
// optimistic; on Windows consuming is what arms the AFD poll).
func await(t *testing.T, p reactor.Poller, fd uintptr, register bool, bits reactor.Ready) {
	t.Helper()
	if register {
		if err := p.Register(fd); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Unregister(fd) })
	}
	p.Consume(fd, bits)
	events := make([]reactor.Event, 16)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.Wait(events, time.Until(deadline))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events[:n] {
			if e.FD == fd && e.Ready&bits != 0 {
				return
			}
		}
	}
	t.Fatalf("fd %d: no %v within 10 s", fd, bits)
}

func mustSocket(t *testing.T, f netsys.Family, typ netsys.Type) uintptr {
	t.Helper()
	fd, err := sys.Socket(f, typ)
	if err != nil {
		t.Fatalf("Socket(%v): %v", f, err)
	}
	t.Cleanup(func() { sys.Close(fd) })
	return fd
}

// listener returns a listening TCP socket on loopback and its address.
func listener(t *testing.T) (uintptr, netsys.Addr) {
	t.Helper()
	l := mustSocket(t, netsys.IPv4, netsys.Stream)
	if err := sys.SetOption(l, netsys.ReuseAddr, true); err != nil {
		t.Fatal(err)
	}
	if err := sys.Bind(l, loopback4); err != nil {
		t.Fatal(err)
	}
	if err := sys.Listen(l, 0); err != nil {
		t.Fatal(err)
	}
	at, err := sys.LocalAddr(l)
	if err != nil || at.Family != netsys.IPv4 || at.IP.Port() == 0 {
		t.Fatalf("LocalAddr of a bound listener = %v, %v", at, err)
	}
	return l, at
}

// A connection from socket to shutdown: EAGAIN and EINPROGRESS bare, the
// addresses both ways, data, and the end of the stream.
func TestStreamLifecycle(t *testing.T) {
	p := poller(t)
	l, at := listener(t)
	if _, _, err := sys.Accept(l); err != syscall.EAGAIN {
		t.Fatalf("Accept with nothing pending: %v; want EAGAIN itself", err)
	}

	c := mustSocket(t, netsys.IPv4, netsys.Stream)
	if err := sys.Connect(c, at); err != nil && !netsys.InProgress(err) {
		t.Fatalf("Connect: %v", err)
	} else if err != nil && err != syscall.EINPROGRESS {
		t.Fatalf("Connect in progress: %#v; want EINPROGRESS itself", err)
	}
	await(t, p, c, true, reactor.Writable)
	if err := sys.SocketError(c); err != nil {
		t.Fatalf("SocketError after connect: %v", err)
	}
	if err := sys.SetOption(c, netsys.NoDelay, true); err != nil {
		t.Fatalf("NoDelay: %v", err)
	}
	if got, err := sys.RemoteAddr(c); err != nil || got != at {
		t.Errorf("RemoteAddr = %v, %v; want %v", got, err, at)
	}

	await(t, p, l, true, reactor.Readable)
	s, remote, err := sys.Accept(l)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	t.Cleanup(func() { sys.Close(s) })
	if local, err := sys.LocalAddr(c); err != nil || remote != local {
		t.Errorf("Accept's remote = %v; the client's LocalAddr = %v, %v", remote, local, err)
	}

	buf := make([]byte, 64)
	if n, err := sys.Read(s, buf); n != 0 || err != syscall.EAGAIN {
		t.Fatalf("Read of nothing = %d, %#v; want 0, EAGAIN itself", n, err)
	}
	if n, err := sys.Write(c, []byte("ping")); n != 4 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	await(t, p, s, true, reactor.Readable)
	if n, err := sys.Read(s, buf); err != nil || !bytes.Equal(buf[:n], []byte("ping")) {
		t.Fatalf("Read = %q, %v; want ping", buf[:n], err)
	}
	if err := sys.ShutdownWrite(c); err != nil {
		t.Fatalf("ShutdownWrite: %v", err)
	}
	for {
		n, err := sys.Read(s, buf)
		if err == syscall.EAGAIN {
			await(t, p, s, false, reactor.Readable|reactor.HangUp)
			continue
		}
		if n != 0 || err != nil {
			t.Fatalf("Read after the peer's shutdown = %d, %v; want 0, nil", n, err)
		}
		break
	}
	// The other direction still works.
	if n, err := sys.Write(s, []byte("pong")); n != 4 || err != nil {
		t.Fatalf("Write back after the peer's shutdown = %d, %v", n, err)
	}
}

// A Read or Write that completes at once, and one that would block,
// allocate nothing: the hot path of streams.
func TestImmediateCallsAllocateNothing(t *testing.T) {
	a, b, err := sys.Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(a)
	defer sys.Close(b)
	out, in := []byte("ping"), make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := sys.Write(a, out); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := sys.Read(b, in); err == nil {
				break
			} else if err != syscall.EAGAIN {
				t.Fatal(err)
			}
			runtime.Gosched() // loopback on Windows takes a moment; a Unix pair none
		}
		if _, err := sys.Read(b, in); err != syscall.EAGAIN {
			t.Fatalf("Read of nothing: %v", err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write + Read + Read that would block: %v allocs; want 0", allocs)
	}
}

// A connect to a port nobody listens on ends in ECONNREFUSED, at once or
// through SocketError.
func TestConnectRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows retries a refused loopback SYN for about 2 s")
	}
	p := poller(t)
	l, at := listener(t)
	sys.Close(l) // the port is free now: nobody listens
	c := mustSocket(t, netsys.IPv4, netsys.Stream)
	err := sys.Connect(c, at)
	if netsys.InProgress(err) {
		await(t, p, c, true, reactor.Writable|reactor.Error|reactor.HangUp)
		err = sys.SocketError(c)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to a closed port: %v; want ECONNREFUSED", err)
	}
}

func TestDatagrams(t *testing.T) {
	p := poller(t)
	a := mustSocket(t, netsys.IPv4, netsys.Datagram)
	b := mustSocket(t, netsys.IPv4, netsys.Datagram)
	for _, fd := range []uintptr{a, b} {
		if err := sys.Bind(fd, loopback4); err != nil {
			t.Fatal(err)
		}
	}
	aAt, _ := sys.LocalAddr(a)
	bAt, _ := sys.LocalAddr(b)
	buf := make([]byte, 64)
	if _, _, err := sys.RecvFrom(b, buf); err != syscall.EAGAIN {
		t.Fatalf("RecvFrom of nothing: %v; want EAGAIN itself", err)
	}
	if n, err := sys.SendTo(a, []byte("hello"), bAt.IP); n != 5 || err != nil {
		t.Fatalf("SendTo = %d, %v", n, err)
	}
	await(t, p, b, true, reactor.Readable)
	n, from, err := sys.RecvFrom(b, buf)
	if err != nil || string(buf[:n]) != "hello" || from != aAt.IP {
		t.Errorf("RecvFrom = %q from %v, %v; want hello from %v", buf[:n], from, err, aAt.IP)
	}
}

// Unix stream sockets where the system has them; elsewhere a clear
// "not supported".
func TestUnixSockets(t *testing.T) {
	fd, err := sys.Socket(netsys.Unix, netsys.Stream)
	if runtime.GOOS == "windows" {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("a Unix socket on windows: %v; want not supported", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(fd) })
	path := t.TempDir() + "/s"
	if err := sys.Bind(fd, netsys.UnixAddr(path)); err != nil {
		t.Fatal(err)
	}
	if err := sys.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	if got, err := sys.LocalAddr(fd); err != nil || got != netsys.UnixAddr(path) {
		t.Errorf("LocalAddr = %v, %v; want %s", got, err, path)
	}
	c := mustSocket(t, netsys.Unix, netsys.Stream)
	if err := sys.Connect(c, netsys.UnixAddr(path)); err != nil {
		t.Fatalf("a Unix connect completes at once: %v", err)
	}
	s, remote, err := sys.Accept(fd)
	if err != nil {
		t.Fatal(err)
	}
	sys.Close(s)
	if remote.Family != netsys.Unix || remote.Path != "" {
		t.Errorf("Accept's remote = %+v; want an unnamed Unix address", remote)
	}
	sys.Close(fd)
	if err := sys.Unlink(path); err != nil {
		t.Errorf("Unlink: %v", err)
	}
}

// A closed handle is reported as closed underfoot, not as a failure of
// the peer.
func TestClosedHandle(t *testing.T) {
	a, b, err := sys.Pair()
	if err != nil {
		t.Fatal(err)
	}
	sys.Close(b)
	sys.Close(a)
	if _, err := sys.Read(a, make([]byte, 1)); !netsys.ClosedUnderfoot(err) {
		t.Errorf("Read of a closed handle: %v; want closed underfoot", err)
	}
}

func TestResolverBlocks(t *testing.T) {
	if r, blocks := sys.Resolver(); r == nil || !blocks {
		t.Errorf("the OS resolver: %v, blocks %v; want the system's, which blocks", r, blocks)
	}
}
