package streams

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// SocketStream is a connected TCP or Unix stream socket, registered with
// its task's loop once, for its whole life. A Read or Write that can
// complete at once is one system call and allocates nothing; one that
// would block parks its task until the poller reports readiness.
//
// A SocketStream belongs to the Run whose task made it (DialTCP, Accept):
// Read, Write and CloseWrite must be called from that Run's tasks, and
// panic otherwise (from a task of another Run, or of a Run started after
// it ended), naming the stream and what to do instead; Close, LocalAddr,
// RemoteAddr, FD and String work from anywhere, also after the Run
// returned. A stream still open when its Run returns is closed then, and
// reported (one log record through the Run's logger, naming the stream,
// its addresses and the task that made it): close it before.
type SocketStream struct {
	pfd *task.PollFD
	fd  uintptr
	// sys is the socket layer fd belongs to (the OS's, or the network a
	// simulated host's ctx carries): every call on fd goes through it.
	sys    netsys.Network
	typ    netsys.Type
	remote net.Addr // Invariant: set when the stream is made (accept or connect tells it)
	// local is read on first use (getsockname): most servers never ask.
	localOnce sync.Once
	local     net.Addr

	// reading and writing mark the task inside Read and inside Write or
	// CloseWrite: a second one is busy.
	reading, writing bool
	// readErr is the sticky outcome of a failed read (a reset): every
	// later Read returns it.
	readErr error
	// writeErr is why writing is over: a failed or part-cancelled Write
	// (ErrBrokenResource) or CloseWrite (ErrClosedResource).
	writeErr error
	shut     bool // CloseWrite succeeded
}

// newSocketStream registers fd (a connected non-blocking socket of sys
// to remote, or nil: ask sys) with the calling task's loop, owned by the
// stream (the Run closes it if it is left open). On error fd is closed.
func newSocketStream(ctx context.Context, sys netsys.Network, fd uintptr, typ netsys.Type, remote net.Addr) (*SocketStream, error) {
	pfd, err := task.RegisterFD(ctx, fd)
	if err != nil {
		sys.Close(fd)
		return nil, err
	}
	if remote == nil {
		remote = askRemoteAddr(sys, fd, typ)
	}
	s := &SocketStream{pfd: pfd, fd: fd, sys: sys, typ: typ, remote: remote}
	pfd.Own(s)
	return s, nil
}

// Read reads at least one byte into p, or returns (0, io.EOF) once the
// peer has finished sending and everything it sent was read. A reset
// peer gives an error matching task.ErrBrokenResource and the errno
// (syscall.ECONNRESET), and every later Read gives it again.
func (s *SocketStream) Read(ctx context.Context, p []byte) (int, error) {
	if err := s.pfd.CheckCancelled(ctx, "Read"); err != nil {
		return 0, err
	}
	if s.reading {
		return 0, busyError("read", s.remote, "reading")
	}
	// A failure found at once is an operation completed at once: it
	// spends the fairness budget, so a task looping on it cannot keep
	// the loop.
	if s.pfd.Closed() {
		task.Progress(ctx)
		return 0, closedError("read", s.remote)
	}
	if s.readErr != nil {
		task.Progress(ctx)
		return 0, s.readErr
	}
	if len(p) == 0 {
		task.Progress(ctx)
		return 0, nil
	}
	s.reading = true
	defer func() { s.reading = false }()
	waited := false
	for {
		if !s.pfd.CanRead() {
			if err := s.pfd.WaitReadable(ctx, "Read"); err != nil {
				return 0, s.waitError("read", err)
			}
			waited = true
		}
		n, err := s.sys.Read(s.fd, p)
		switch {
		case err == nil && n > 0:
			if n < len(p) && !s.pfd.HungUp() {
				// The kernel had no more: the next Read waits for the next
				// edge instead of making a call that would block. A
				// hang-up stays set, so the EOF after it is not missed.
				s.pfd.Consume(reactor.Readable)
			}
			if !waited {
				task.Progress(ctx)
			}
			return n, nil
		case err == nil:
			if !waited {
				task.Progress(ctx)
			}
			return 0, io.EOF
		case netsys.WouldBlock(err):
			if s.pfd.HungUp() {
				// Hung up or failed, yet a read would block: never spin.
				s.readErr = opError("read", s.remote, task.ErrBrokenResource, err)
				return 0, s.readErr
			}
			s.pfd.Consume(reactor.Readable)
		default:
			s.readErr = opError("read", s.remote, failureKind(err), err)
			return 0, s.readErr
		}
	}
}

// waitError maps a wait's failure: cancellation passes unchanged (a
// scope must recognise it), a Close while waiting names the operation.
func (s *SocketStream) waitError(op string, err error) error {
	if s.pfd.Closed() {
		return closedError(op, s.remote)
	}
	return err
}

// Write writes all of p, waiting while the socket's buffer is full, or
// returns how much it wrote and why it stopped. A Write cancelled after
// it wrote part of p leaves the stream broken for writing: later Writes
// fail with task.ErrBrokenResource (the peer would see a hole). A peer
// that is gone gives an error matching task.ErrBrokenResource and the
// errno (EPIPE, ECONNRESET).
func (s *SocketStream) Write(ctx context.Context, p []byte) (int, error) {
	if err := s.startWrite(ctx, "write"); err != nil {
		return 0, err
	}
	defer func() { s.writing = false }()
	total, waited := 0, false
	for total < len(p) {
		if !s.pfd.CanWrite() {
			if err := s.pfd.WaitWritable(ctx, "Write"); err != nil {
				if total > 0 && !s.pfd.Closed() {
					s.writeErr = opError("write", s.remote, task.ErrBrokenResource, err)
				}
				return total, s.waitError("write", err)
			}
			waited = true
		}
		n, err := s.sys.Write(s.fd, p[total:])
		total += n
		switch {
		case err == nil:
			if total < len(p) {
				s.pfd.Consume(reactor.Writable) // the buffer is full
			}
		case netsys.WouldBlock(err):
			s.pfd.Consume(reactor.Writable)
		default:
			s.writeErr = opError("write", s.remote, failureKind(err), err)
			return total, s.writeErr
		}
	}
	if !waited {
		task.Progress(ctx)
	}
	return total, nil
}

// startWrite is the common start of Write and CloseWrite.
func (s *SocketStream) startWrite(ctx context.Context, op string) error {
	if err := s.pfd.CheckCancelled(ctx, op); err != nil {
		return err
	}
	if s.writing {
		return busyError(op, s.remote, "writing")
	}
	if s.pfd.Closed() {
		task.Progress(ctx) // completed at once, as in Read
		return closedError(op, s.remote)
	}
	if s.writeErr != nil {
		task.Progress(ctx)
		return s.writeErr
	}
	s.writing = true
	return nil
}

// CloseWrite half-closes the stream (shutdown(SHUT_WR)): the peer reads
// everything written, then io.EOF; this side can still read. Repeating it
// is harmless; later Writes fail with task.ErrClosedResource.
func (s *SocketStream) CloseWrite(ctx context.Context) error {
	if s.shut && !s.writing {
		return s.pfd.CheckCancelled(ctx, "CloseWrite")
	}
	if err := s.startWrite(ctx, "close write"); err != nil {
		return err
	}
	defer func() { s.writing = false }()
	if err := s.sys.ShutdownWrite(s.fd); err != nil {
		return opError("close write", s.remote, task.ErrBrokenResource, err)
	}
	s.shut = true
	s.writeErr = opError("write", s.remote, task.ErrClosedResource, errAfterCloseWrite)
	task.Progress(ctx)
	return nil
}

// Close closes the socket. It is idempotent and safe from any goroutine,
// also from another Run and after the stream's Run returned (which closed
// it already if it was left open); a task blocked in Read or Write is
// woken with an error matching task.ErrClosedResource. From a task of the
// stream's loop the fd is released before Close returns; from another
// goroutine, on the loop's next turn.
func (s *SocketStream) Close() error {
	return s.pfd.Close(s.sys.Close)
}

// LocalAddr returns the socket's own address, asked of the kernel at the
// first call (from any goroutine); nil if that first call comes after
// Close, when the fd number may belong to another file already.
func (s *SocketStream) LocalAddr() net.Addr {
	s.localOnce.Do(func() {
		if !s.pfd.Closed() {
			s.local = askLocalAddr(s.sys, s.fd, s.typ)
		}
	})
	return s.local
}

// RemoteAddr returns the peer's address.
func (s *SocketStream) RemoteAddr() net.Addr { return s.remote }

// String names the stream with its addresses, local first: "TCP stream
// 127.0.0.1:41234->127.0.0.1:5000" ("?" for a local address asked for the
// first time after Close). Safe from any goroutine.
func (s *SocketStream) String() string {
	local := s.LocalAddr()
	kind := "TCP stream"
	if isUnixAddr(s.remote) || isUnixAddr(local) {
		kind = "Unix stream"
	}
	return kind + " " + addrString(local) + "->" + addrString(s.remote)
}

func isUnixAddr(a net.Addr) bool {
	_, unix := a.(*net.UnixAddr)
	return unix
}

// String names the listener with its address: "TCP listener
// 127.0.0.1:5000", "Unix listener /run/app.sock". Safe from any goroutine.
func (l *SocketListener) String() string {
	kind := "TCP listener"
	if isUnixAddr(l.addr) {
		kind = "Unix listener"
	}
	return kind + " " + addrString(l.addr)
}

// addrString is an address for String: "?" when unknown, "unnamed" for
// an unbound Unix socket.
func addrString(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return "?"
	case *net.UnixAddr:
		if a == nil {
			return "?"
		}
		if a.Name == "" {
			return "unnamed"
		}
	case *net.TCPAddr:
		if a == nil {
			return "?"
		}
	case *net.UDPAddr:
		if a == nil {
			return "?"
		}
	}
	return a.String()
}

// FD returns the socket, for socket options. Do not read, write or close
// it behind the stream's back.
func (s *SocketStream) FD() uintptr { return s.fd }

// inTask reports whether the caller is a task of the stream's loop.
func (s *SocketStream) inTask() bool { return s.pfd.InTask() }

// tryWrite writes what the socket takes of p at once, ignoring failure:
// for a goodbye (TLS close_notify) that must not wait.
func (s *SocketStream) tryWrite(p []byte) {
	if !s.pfd.Closed() && len(p) > 0 {
		s.sys.Write(s.fd, p)
	}
}
