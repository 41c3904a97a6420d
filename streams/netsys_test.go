package streams_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/f04742a6/reactor/internal/goroutines"
	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The socket layer is a seam: streams makes every socket call through the
// netsys.Network its ctx carries, so a simulated network can stand in for
// the OS. These tests put a recording wrapper around the OS's layer there
// and check that streams' calls reach it, that an accepted stream keeps
// its listener's layer, that a layer's resolver that does not block runs
// in the task (no thread), and that the layer's errnos become streams'
// errors as the OS's do.

// recorder is a netsys.Network that counts the calls it passes to the OS
// (or to the failures set in fail) and resolves names from a table.
type recorder struct {
	netsys.OS
	mu     sync.Mutex // Close may come from another goroutine
	calls  map[string]int
	hosts  map[string]netip.Addr
	lookup uint64 // the goroutine of the last lookup
	fail   map[string]error
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, hosts: map[string]netip.Addr{}, fail: map[string]error{}}
}

// call counts op and returns the failure scripted for it, once.
func (r *recorder) call(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[op]++
	err := r.fail[op]
	delete(r.fail, op)
	return err
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[op]
}

func (r *recorder) Socket(f netsys.Family, t netsys.Type) (uintptr, error) {
	if err := r.call("Socket"); err != nil {
		return 0, err
	}
	return r.OS.Socket(f, t)
}

func (r *recorder) Bind(fd uintptr, a netsys.Addr) error {
	if err := r.call("Bind"); err != nil {
		return err
	}
	return r.OS.Bind(fd, a)
}

func (r *recorder) Listen(fd uintptr, backlog int) error {
	if err := r.call("Listen"); err != nil {
		return err
	}
	return r.OS.Listen(fd, backlog)
}

func (r *recorder) Accept(fd uintptr) (uintptr, netsys.Addr, error) {
	if err := r.call("Accept"); err != nil {
		return 0, netsys.Addr{}, err
	}
	return r.OS.Accept(fd)
}

func (r *recorder) Connect(fd uintptr, a netsys.Addr) error {
	if err := r.call("Connect"); err != nil {
		return err
	}
	return r.OS.Connect(fd, a)
}

func (r *recorder) SocketError(fd uintptr) error {
	if err := r.call("SocketError"); err != nil {
		return err
	}
	return r.OS.SocketError(fd)
}

func (r *recorder) Read(fd uintptr, p []byte) (int, error) {
	if err := r.call("Read"); err != nil {
		return 0, err
	}
	return r.OS.Read(fd, p)
}

func (r *recorder) Write(fd uintptr, p []byte) (int, error) {
	if err := r.call("Write"); err != nil {
		return 0, err
	}
	return r.OS.Write(fd, p)
}

func (r *recorder) RecvFrom(fd uintptr, p []byte) (int, netip.AddrPort, error) {
	if err := r.call("RecvFrom"); err != nil {
		return 0, netip.AddrPort{}, err
	}
	return r.OS.RecvFrom(fd, p)
}

func (r *recorder) SendTo(fd uintptr, p []byte, to netip.AddrPort) (int, error) {
	if err := r.call("SendTo"); err != nil {
		return 0, err
	}
	return r.OS.SendTo(fd, p, to)
}

func (r *recorder) ShutdownWrite(fd uintptr) error {
	if err := r.call("ShutdownWrite"); err != nil {
		return err
	}
	return r.OS.ShutdownWrite(fd)
}

func (r *recorder) Close(fd uintptr) error {
	r.call("Close")
	return r.OS.Close(fd)
}

func (r *recorder) SetOption(fd uintptr, o netsys.Option, on bool) error {
	if err := r.call("SetOption"); err != nil {
		return err
	}
	return r.OS.SetOption(fd, o, on)
}

func (r *recorder) LocalAddr(fd uintptr) (netsys.Addr, error) {
	r.call("LocalAddr")
	return r.OS.LocalAddr(fd)
}

func (r *recorder) RemoteAddr(fd uintptr) (netsys.Addr, error) {
	r.call("RemoteAddr")
	return r.OS.RemoteAddr(fd)
}

func (r *recorder) Unlink(path string) error {
	r.call("Unlink")
	return r.OS.Unlink(path)
}

// Resolver answers from the table at once, as a simulated network does.
func (r *recorder) Resolver() (netsys.Resolver, bool) { return r, false }

func (r *recorder) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls["Lookup"]++
	r.lookup = goroutines.ID()
	if a, ok := r.hosts[host]; ok {
		return []netip.Addr{a}, nil
	}
	return nil, &netDNSError{host}
}

type netDNSError struct{ host string }

func (e *netDNSError) Error() string { return "no such host " + e.host }

func TestEverySocketCallGoesThroughTheCtxNetwork(t *testing.T) {
	server, client := newRecorder(), newRecorder()
	server.hosts["server.sim"] = netip.MustParseAddr("127.0.0.1")
	client.hosts["server.sim"] = netip.MustParseAddr("127.0.0.1")
	run(t, func(ctx context.Context) error {
		sctx, cctx := netsys.With(ctx, server), netsys.With(ctx, client)
		l, err := streams.ListenTCP(sctx, "server.sim:0")
		if err != nil {
			return err
		}
		defer l.Close()
		me := goroutines.ID()
		c, err := streams.DialTCP(cctx, "server.sim:"+portOf(t, l.Addr().String()))
		if err != nil {
			return err
		}
		defer c.Close()
		if client.lookup != me {
			t.Errorf("a resolver that does not block ran on goroutine %d, not the task's (%d)", client.lookup, me)
		}
		s, err := l.Accept(ctx) // a ctx without the network: the listener's is used
		if err != nil {
			return err
		}
		defer s.Close()
		serverReads := server.count("Read")
		if err := exchange(ctx, c, s); err != nil {
			return err
		}
		if server.count("Read") == serverReads {
			t.Error("the accepted stream's reads did not go through its listener's network")
		}
		if err := c.CloseWrite(cctx); err != nil {
			return err
		}
		if _, err := s.Read(ctx, make([]byte, 1)); err != io.EOF {
			t.Errorf("Read after the peer's CloseWrite: %v; want EOF", err)
		}

		u, err := streams.ListenUDP(sctx, "server.sim:0")
		if err != nil {
			return err
		}
		defer u.Close()
		v, err := streams.ListenUDP(cctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer v.Close()
		to := u.LocalAddr().(interface{ AddrPort() netip.AddrPort }).AddrPort()
		if _, err := v.WriteTo(cctx, []byte("d"), to); err != nil {
			return err
		}
		if _, _, err := u.ReadFrom(ctx, make([]byte, 8)); err != nil {
			return err
		}

		if runtime.GOOS != "windows" {
			path := filepath.Join(t.TempDir(), "s")
			ul, err := streams.ListenUnix(sctx, path)
			if err != nil {
				return err
			}
			uc, err := streams.DialUnix(cctx, path)
			if err != nil {
				return err
			}
			uc.Close()
			ul.Close()
		}
		return nil
	})
	for _, op := range []string{"Socket", "Bind", "Listen", "Accept", "Read", "Write", "SetOption", "LocalAddr", "RecvFrom", "Close", "Lookup"} {
		if server.count(op) == 0 {
			t.Errorf("the server's network saw no %s", op)
		}
	}
	for _, op := range []string{"Socket", "Connect", "Read", "Write", "ShutdownWrite", "SendTo", "SetOption", "Close", "Lookup"} {
		if client.count(op) == 0 {
			t.Errorf("the client's network saw no %s", op)
		}
	}
	if runtime.GOOS != "windows" && server.count("Unlink") == 0 {
		t.Error("closing a Unix listener did not unlink its path through the network")
	}
}

// exchange sends a byte each way between a and b.
func exchange(ctx context.Context, a, b streams.Stream) error {
	buf := make([]byte, 1)
	for _, p := range [][2]streams.Stream{{a, b}, {b, a}} {
		if _, err := p[0].Write(ctx, []byte("x")); err != nil {
			return err
		}
		if _, err := p[1].Read(ctx, buf); err != nil {
			return err
		}
	}
	return nil
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// A network's errnos become streams' errors as the OS's do: a reset is
// broken and matches ECONNRESET, a handle gone is closed, a refused
// connect matches ECONNREFUSED, descriptor exhaustion in Accept is backed
// off and survived, an unknown host names the host.
func TestNetworkErrorsMapAsTheOSs(t *testing.T) {
	n := newRecorder()
	run(t, func(ctx context.Context) error {
		ctx = netsys.With(ctx, n)
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0", streams.ListenLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			return err
		}
		defer l.Close()

		n.fail["Connect"] = syscall.ECONNREFUSED
		if _, err := streams.DialTCP(ctx, l.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("a refused connect: %v; want ECONNREFUSED", err)
		}
		if _, err := streams.DialTCP(ctx, "nowhere.sim:1"); err == nil || !strings.Contains(err.Error(), "nowhere.sim") {
			t.Errorf("an unknown host: %v; want an error naming it", err)
		}

		c, err := streams.DialTCP(ctx, l.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		n.fail["Accept"] = syscall.EMFILE // backed off (5 ms), then served
		s, err := l.Accept(ctx)
		if err != nil {
			t.Fatalf("Accept after EMFILE: %v", err)
		}
		defer s.Close()

		n.fail["Write"] = syscall.ECONNRESET
		if _, err := c.Write(ctx, []byte("x")); !errors.Is(err, task.ErrBrokenResource) || !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("a reset on Write: %v; want broken and ECONNRESET", err)
		}
		n.fail["Read"] = syscall.EBADF
		if _, err := s.Read(ctx, make([]byte, 1)); !errors.Is(err, task.ErrClosedResource) {
			t.Errorf("a handle gone on Read: %v; want closed", err)
		}
		return nil
	})
	if n.count("Accept") < 2 {
		t.Errorf("Accept tried %d times; want a retry after EMFILE", n.count("Accept"))
	}
}
