package streams

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/f04742a6/reactor/task"
)

// Serve accepts connections from l and runs h on each, as a task of a
// nursery of Serve's own, closing the connection when h returns. A
// handler's error ends only that connection and is logged with the
// remote address (a cancellation is not logged); a handler's panic is not
// swallowed: it cancels the other connections and Serve re-raises it, as
// any nursery does.
//
// The reports are written on the loop's thread, so they are bounded: at
// most ServeLogging.PerSecond (10 by default) a second of the loop's
// clock, then one summary with the count of those left out, once the
// second is over. A failure the peer caused (an error matching
// task.ErrBrokenResource, io.EOF, io.ErrUnexpectedEOF, or
// syscall.ECONNRESET or EPIPE: a reset, a peer that left, a failed
// handshake) is reported at slog.LevelDebug, any other at
// ServeLogging.Level (slog.LevelWarn by default). Where they go: a
// Listener with a method ServeLogging() ServeLogging chooses; a
// SocketListener reports to its ListenLogger; WithServeLogging sets it
// for any Listener; otherwise slog.Default().
//
// Serve returns when ctx is cancelled (with the cancellation error, which
// the cancelling scope catches) or when Accept fails for good (l was
// closed: an error matching task.ErrClosedResource), and only after every
// connection's task has finished. It does not close l.
func Serve(ctx context.Context, l Listener, h Handler) error {
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		log := newConnLog(l, n)
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				if err := h(ctx, s); err != nil && !errors.Is(err, task.ErrCancelled) {
					log.failed(ctx, s, err)
				}
				return nil
			}, task.Name("conn "+remoteAddr(s)))
		}
	})
}

// ServeLogging says how Serve reports the connections whose handler
// failed. The zero value means the defaults.
type ServeLogging struct {
	// Logger receives the reports; nil: slog.Default().
	Logger *slog.Logger
	// Level is the level of a failure the peer did not cause; nil:
	// slog.LevelWarn. Failures the peer caused are at slog.LevelDebug.
	Level slog.Leveler
	// PerSecond is the most reports written per second of the loop's
	// clock; the rest are counted, and the count is written in one
	// summary when the second is over. 0 or less: 10.
	PerSecond int
}

// defaultPerSecond is ServeLogging.PerSecond's default.
const defaultPerSecond = 10

// ServeLogging returns how Serve reports this listener's failed
// connections: to its ListenLogger, with the defaults otherwise.
func (l *SocketListener) ServeLogging() ServeLogging { return ServeLogging{Logger: l.logger} }

// WithServeLogging returns l, for Serve, with its failed connections
// reported as log says. Accept, Addr and Close are l's.
func WithServeLogging(l Listener, log ServeLogging) Listener { return &loggedListener{l, log} }

type loggedListener struct {
	Listener
	log ServeLogging
}

func (l *loggedListener) ServeLogging() ServeLogging { return l.log }

// connLog reports failed connections for one Serve, within its rate. All
// its fields are the loop's: only Serve's tasks touch them.
type connLog struct {
	logger    *slog.Logger
	level     slog.Leveler
	perSecond int
	n         *task.Nursery // Serve's, for the summary task
	// The current window: reports until end, at most perSecond of them;
	// the failures past that are counted in suppressed, at the highest
	// level among them, for the summary a task writes at end.
	end          time.Time
	logged       int
	suppressed   int
	summaryLevel slog.Level
	summarising  bool
}

func newConnLog(l Listener, n *task.Nursery) *connLog {
	var cfg ServeLogging
	if sl, ok := l.(interface{ ServeLogging() ServeLogging }); ok {
		cfg = sl.ServeLogging()
	}
	c := &connLog{logger: cfg.Logger, level: cfg.Level, perSecond: cfg.PerSecond, n: n}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.level == nil {
		c.level = slog.LevelWarn
	}
	if c.perSecond <= 0 {
		c.perSecond = defaultPerSecond
	}
	return c
}

// failed reports that the handler of s failed with err, if the logger
// wants that level and the rate allows; else it counts it for the
// summary.
func (c *connLog) failed(ctx context.Context, s Stream, err error) {
	level := c.level.Level()
	if peerCaused(err) {
		level = slog.LevelDebug
	}
	if !c.logger.Enabled(ctx, level) {
		return
	}
	if now := task.Now(ctx); !now.Before(c.end) {
		c.end, c.logged = now.Add(time.Second), 0
	}
	if c.logged < c.perSecond {
		c.logged++
		c.logger.Log(ctx, level, "streams: connection handler failed", "remote", remoteAddr(s), "error", err.Error())
		return
	}
	if c.suppressed == 0 || level > c.summaryLevel {
		c.summaryLevel = level
	}
	c.suppressed++
	if !c.summarising {
		c.summarising = true
		c.n.GoService(c.summarise, task.Name("streams.Serve: log summary"))
	}
}

// summarise writes the summary of the failures left out, when the
// window is over, or at once when Serve ends first.
func (c *connLog) summarise(ctx context.Context) error {
	_ = task.SleepUntil(ctx, c.end) // cancelled: Serve is ending; report now
	c.logger.Log(context.WithoutCancel(ctx), c.summaryLevel,
		"streams: connection handler failures not logged (rate limit)",
		"suppressed", c.suppressed, "per_second", c.perSecond)
	c.suppressed, c.summarising = 0, false
	return nil
}

// peerCaused reports whether a handler's error is the peer's doing: a
// reset or broken connection, a peer that left early, a failed
// handshake. Such errors are routine on a public server.
func peerCaused(err error) bool {
	return errors.Is(err, task.ErrBrokenResource) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// remoteAddr names a stream's peer for logs, if it has an address.
func remoteAddr(s Stream) string {
	if a, ok := s.(interface{ RemoteAddr() net.Addr }); ok && a.RemoteAddr() != nil {
		return a.RemoteAddr().String()
	}
	return "?"
}

// ServeTCP listens on address, calls started (if not nil) with the bound
// address, and serves connections with h until ctx is cancelled; it
// closes the listener when it returns. started composes with task.Start:
//
//	addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
//		return streams.ServeTCP(ctx, "127.0.0.1:0", h, started)
//	})
//
// Nothing bounds a connection but its handler: a TLS server's handshake
// in particular waits as long as the client makes it. Bound it with a
// scope deadline around NewTLSServer, inside the handler:
//
//	h := func(ctx context.Context, s streams.Stream) error {
//		var ts *streams.TLSStream
//		err := task.FailAfter(ctx, 10*time.Second, func(ctx context.Context) error {
//			var err error
//			ts, err = streams.NewTLSServer(ctx, s, cfg)
//			return err
//		})
//		if err != nil {
//			return err // matches task.ErrTimeout if the client was too slow
//		}
//		defer ts.Close()
//		return serveProtocol(ctx, ts)
//	}
//
// To choose where failed connections are reported, use ListenTCP (with
// ListenLogger) and Serve.
func ServeTCP(ctx context.Context, address string, h Handler, started func(net.Addr)) error {
	l, err := ListenTCP(ctx, address)
	if err != nil {
		return err
	}
	defer l.Close()
	if started != nil {
		started(l.Addr())
	}
	return Serve(ctx, l, h)
}
