package streams

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/task"
)

// TLSStream is a TLS connection over a Stream, with crypto/tls doing the
// protocol. It is safe with one reader task and one writer task at once.
//
// crypto/tls holds its internal mutexes while it calls its transport (a
// Read takes the output lock too, to send an alert or answer a KeyUpdate).
// If a task parked inside the transport while holding one, and another
// task of the loop then needed it, the loop's thread would block on a
// sync.Mutex, and no task of the loop would ever run again. So after the
// handshake, crypto/tls never waits inside its transport here: its reads
// are served from bytes the stream already received, or fail at once
// with a temporary error (which crypto/tls lets a later Read retry), and
// its writes append records to a small buffer. The task parks only
// outside crypto/tls, to refill the input from the stream or to flush the
// buffered records (each Write is cut in chunks of 16 KiB, so the buffer
// holds one chunk's records, plus any alert). The handshake itself runs
// with a transport that waits, which is safe because no other task has
// the stream yet.
//
// TLS 1.2 renegotiation is not supported (crypto/tls refuses it by
// default); a handshake after the first would fail the stream.
//
// On Windows and macOS, a client that verifies against the system's roots
// (tls.Config.RootCAs nil) makes a blocking system call for it inside
// the handshake (crypto/x509's platform verifier), and the loop stalls
// while it runs (the watchdog names it). Set RootCAs (x509.SystemCertPool
// loaded once, off the loop, with ToThread) to verify in Go instead.
type TLSStream struct {
	tc *tls.Conn
	tr *tlsTransport
	// busy flags: a task is inside Read, or inside Write/CloseWrite.
	reading, writing bool
	// writeErr is why writing is over (broken by a failure or a
	// cancellation part-way, or closed by CloseWrite).
	writeErr error
	shut     bool
	closed   atomic.Bool
	// flushing is held by the task sending the buffered records: the
	// writer, or the reader when a Read made crypto/tls answer.
	flushing task.Lock
}

// tlsChunk is the most plaintext handed to crypto/tls per transport
// flush: one full record.
const tlsChunk = 16 << 10

// NewTLSClient runs a TLS client handshake over s and returns the stream
// once it completed. On failure s is closed. A cancelled handshake
// returns the cancellation error.
//
// The handshake has no time limit of its own (nothing in crypto/tls
// times it out here): it waits as long as the peer makes it wait, unless
// the caller's scope ends it. Bound it with a deadline, as in
//
//	err := task.FailAfter(ctx, 10*time.Second, func(ctx context.Context) error {
//		ts, err = streams.NewTLSClient(ctx, s, cfg)
//		return err
//	})
func NewTLSClient(ctx context.Context, s Stream, cfg *tls.Config) (*TLSStream, error) {
	return newTLS(ctx, s, cfg, tls.Client)
}

// NewTLSServer runs a TLS server handshake over s; see NewTLSClient.
//
// The handshake has no time limit of its own: a client that connects and
// then sends nothing (or sends its hello one byte a minute) holds the
// connection's task for as long as it likes. A server bounds it with a
// scope deadline around NewTLSServer, inside the handler; ServeTCP's
// documentation shows how.
func NewTLSServer(ctx context.Context, s Stream, cfg *tls.Config) (*TLSStream, error) {
	return newTLS(ctx, s, cfg, tls.Server)
}

func newTLS(ctx context.Context, s Stream, cfg *tls.Config, side func(net.Conn, *tls.Config) *tls.Conn) (*TLSStream, error) {
	tr := &tlsTransport{s: s, hsCtx: ctx}
	t := &TLSStream{tr: tr, tc: side(tr, cfg)}
	err := t.tc.Handshake()
	tr.hsCtx = nil
	if err != nil {
		s.Close()
		if cerr := task.CheckCancelled(ctx, "TLS handshake"); cerr != nil {
			return nil, cerr
		}
		if errors.Is(err, task.ErrCancelled) || errors.Is(err, task.ErrTimeout) || errors.Is(err, task.ErrClosedResource) {
			return nil, err
		}
		return nil, opError("tls handshake", remoteOf(s), task.ErrBrokenResource, err)
	}
	return t, nil
}

// remoteOf returns a stream's peer address, if it has one.
func remoteOf(s Stream) net.Addr {
	if a, ok := s.(interface{ RemoteAddr() net.Addr }); ok {
		return a.RemoteAddr()
	}
	return nil
}

// ConnectionState returns the TLS connection's state (version, cipher
// suite, peer certificates, negotiated protocol).
func (t *TLSStream) ConnectionState() tls.ConnectionState { return t.tc.ConnectionState() }

// Read reads decrypted bytes: at least one, or (0, io.EOF) once the peer
// sent close_notify (or closed its stream at a record boundary).
func (t *TLSStream) Read(ctx context.Context, p []byte) (int, error) {
	if err := task.CheckCancelled(ctx, "Read"); err != nil {
		return 0, err
	}
	if t.reading {
		return 0, busyError("tls read", remoteOf(t.tr.s), "reading")
	}
	if t.closed.Load() {
		task.Progress(ctx)
		return 0, closedError("tls read", remoteOf(t.tr.s))
	}
	if len(p) == 0 {
		task.Progress(ctx)
		return 0, nil
	}
	t.reading = true
	defer func() { t.reading = false }()
	waited := false
	for {
		before := len(t.tr.out)
		n, err := t.tc.Read(p)
		if len(t.tr.out) > before && t.writeErr == nil && t.flushing.TryLock() {
			// The read made crypto/tls answer (a KeyUpdate, an alert), and
			// no writer is flushing (one would send it with its own).
			t.flushing.Unlock()
			if ferr := t.flush(ctx); ferr != nil {
				t.writeErr = opError("tls write", remoteOf(t.tr.s), task.ErrBrokenResource, ferr)
			}
		}
		if n > 0 || err != errWouldBlock {
			// Done without waiting when crypto/tls had the plaintext (or
			// the end) already: the budget is spent as for a socket's
			// immediate read, so buffered records cannot keep the loop.
			if !waited {
				task.Progress(ctx)
			}
		}
		if n > 0 {
			return n, nil
		}
		if err != errWouldBlock {
			if err == io.EOF {
				return 0, io.EOF
			}
			if t.closed.Load() {
				return 0, closedError("tls read", remoteOf(t.tr.s))
			}
			return 0, opError("tls read", remoteOf(t.tr.s), task.ErrBrokenResource, err)
		}
		// crypto/tls used up what was received: wait for more, outside it.
		if err := t.tr.fill(ctx); err != nil {
			return 0, err
		}
		waited = true
	}
}

// Write encrypts and sends all of p, or returns how much of it was sent
// (in whole 16 KiB chunks) and why it stopped. A failure or cancellation
// part-way breaks the stream for writing.
func (t *TLSStream) Write(ctx context.Context, p []byte) (int, error) {
	if err := t.startWrite(ctx, "tls write"); err != nil {
		return 0, err
	}
	defer func() { t.writing = false }()
	total := 0
	for total < len(p) {
		chunk := p[total:min(len(p), total+tlsChunk)]
		if _, err := t.tc.Write(chunk); err != nil {
			t.writeErr = opError("tls write", remoteOf(t.tr.s), task.ErrBrokenResource, err)
			return total, t.writeErr
		}
		if err := t.flush(ctx); err != nil {
			t.writeErr = opError("tls write", remoteOf(t.tr.s), task.ErrBrokenResource, err)
			return total, err
		}
		total += len(chunk)
	}
	if len(p) == 0 {
		task.Progress(ctx)
	}
	return total, nil
}

func (t *TLSStream) startWrite(ctx context.Context, op string) error {
	if err := task.CheckCancelled(ctx, op); err != nil {
		return err
	}
	if t.writing {
		return busyError(op, remoteOf(t.tr.s), "writing")
	}
	if t.closed.Load() {
		task.Progress(ctx)
		return closedError(op, remoteOf(t.tr.s))
	}
	if t.writeErr != nil {
		task.Progress(ctx)
		return t.writeErr
	}
	t.writing = true
	return nil
}

// flush sends the buffered records.
func (t *TLSStream) flush(ctx context.Context) error {
	if err := t.flushing.Lock(ctx); err != nil {
		return err
	}
	defer t.flushing.Unlock()
	tr := t.tr
	for len(tr.out) > 0 {
		n, err := tr.s.Write(ctx, tr.out)
		tr.out = tr.out[n:]
		if err != nil {
			return err
		}
	}
	tr.out = tr.outBuf[:0]
	return nil
}

// CloseWrite sends close_notify: the peer reads everything written, then
// io.EOF. This side can still read. Repeating it is harmless.
func (t *TLSStream) CloseWrite(ctx context.Context) error {
	if t.shut && !t.writing {
		if err := task.CheckCancelled(ctx, "CloseWrite"); err != nil {
			return err
		}
		task.Progress(ctx)
		return nil
	}
	if err := t.startWrite(ctx, "tls close write"); err != nil {
		return err
	}
	defer func() { t.writing = false }()
	if err := t.tc.CloseWrite(); err != nil {
		t.writeErr = opError("tls close write", remoteOf(t.tr.s), task.ErrBrokenResource, err)
		return t.writeErr
	}
	if err := t.flush(ctx); err != nil {
		t.writeErr = opError("tls close write", remoteOf(t.tr.s), task.ErrBrokenResource, err)
		return t.writeErr
	}
	t.shut = true
	t.writeErr = opError("tls write", remoteOf(t.tr.s), task.ErrClosedResource, errAfterCloseWrite)
	return nil
}

// Close closes the TLS stream and the stream under it. It is idempotent
// and safe from any goroutine. Called from a task of the stream's loop
// with no Write in flight, it first sends close_notify if the transport
// takes it at once (a socket with room in its buffer, which is the usual
// case); it never waits for the peer, since Close has no ctx to wait
// with: call CloseWrite(ctx) first for a goodbye that waits (under a
// deadline of your choosing, shielded if it runs in cleanup).
//
// From another goroutine it touches nothing but the closed flag and the
// transport's Close (itself safe from any goroutine): the fields the
// stream's tasks use are read only once Close knows it runs on their
// loop, where no task runs at the same time.
func (t *TLSStream) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	tw, ok := t.tr.s.(tryWriter)
	if ok && tw.inTask() && t.quiet() {
		if t.tc.CloseWrite() == nil {
			tw.tryWrite(t.tr.out)
		}
	}
	return t.tr.s.Close()
}

// quiet reports whether close_notify may be sent now: no task is writing
// or flushing records (its bytes would interleave with ours), and writing
// is not over. Only on the stream's loop.
func (t *TLSStream) quiet() bool {
	return !t.writing && !t.flushing.Locked() && !t.shut && t.writeErr == nil
}

// tryWriter is a stream that can write without waiting (SocketStream).
type tryWriter interface {
	inTask() bool
	tryWrite(p []byte)
}

// tlsTransport is the net.Conn crypto/tls runs on. During the handshake
// it reads and writes the stream directly with the handshaking task's
// ctx; after it, it never waits (see TLSStream).
type tlsTransport struct {
	s     Stream
	hsCtx context.Context // the handshaking task's ctx; nil after the handshake
	// in holds bytes received and not yet handed to crypto/tls; a slice
	// of inBuf. inErr is what the stream said after them (io.EOF).
	in    []byte
	inBuf []byte
	inErr error
	// out holds records crypto/tls wrote and the stream has not taken; a
	// slice of outBuf.
	out    []byte
	outBuf []byte
}

// errWouldBlock is what the transport tells crypto/tls when it has no
// bytes: a timeout, which crypto/tls treats as temporary (a later Read
// retries it) instead of failing the connection.
var errWouldBlock error = &net.OpError{Op: "read", Net: "reactor", Err: wouldBlockError{}}

type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "no data received yet (a later read retries)" }
func (wouldBlockError) Timeout() bool   { return true }
func (wouldBlockError) Temporary() bool { return true }

func (tr *tlsTransport) Read(p []byte) (int, error) {
	if tr.hsCtx != nil {
		return tr.s.Read(tr.hsCtx, p)
	}
	if len(tr.in) > 0 {
		n := copy(p, tr.in)
		tr.in = tr.in[n:]
		return n, nil
	}
	if tr.inErr != nil {
		return 0, tr.inErr
	}
	return 0, errWouldBlock
}

// fill reads from the stream into the input buffer.
func (tr *tlsTransport) fill(ctx context.Context) error {
	if tr.inBuf == nil {
		tr.inBuf = make([]byte, tlsChunk+1024)
	}
	n, err := tr.s.Read(ctx, tr.inBuf)
	tr.in = tr.inBuf[:n]
	switch {
	case err == io.EOF:
		tr.inErr = io.EOF
	case err != nil && (errors.Is(err, task.ErrCancelled) || errors.Is(err, task.ErrTimeout)):
		return err // the task's, not the connection's: it can read again
	case err != nil:
		tr.inErr = err
	}
	return nil
}

func (tr *tlsTransport) Write(p []byte) (int, error) {
	if tr.hsCtx != nil {
		return tr.s.Write(tr.hsCtx, p)
	}
	if tr.outBuf == nil {
		tr.outBuf = make([]byte, 0, tlsChunk+1024)
		tr.out = tr.outBuf
	}
	tr.out = append(tr.out, p...)
	return len(p), nil
}

func (tr *tlsTransport) Close() error { return tr.s.Close() }

func (tr *tlsTransport) LocalAddr() net.Addr  { return addrOf(tr.s, true) }
func (tr *tlsTransport) RemoteAddr() net.Addr { return addrOf(tr.s, false) }

// Deadlines are the tasks' scopes; crypto/tls sets one before
// close_notify, which cannot block here.
func (tr *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (tr *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (tr *tlsTransport) SetWriteDeadline(time.Time) error { return nil }
