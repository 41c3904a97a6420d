package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// epoch is where every simulated clock starts: a run's times do not
// depend on when it runs.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// World is a simulated network of hosts. Its methods are called from the
// tasks of its run (main's, or any host's): they run on the loop and
// take effect at the current simulated time.
type World struct {
	cfg    config
	rng    *rand.Rand
	clock  *simClock
	poller *poller
	n      *task.Nursery
	ending bool // main has returned: the other hosts are being cancelled

	hosts    []*Host
	byName   map[string]*Host     // lookup only, never iterated
	byAddr   map[netip.Addr]*Host // lookup only, never iterated
	links    map[linkKey]*link    // lookup only, never iterated
	linkList []*link              // the links, in creation order

	// The network's pending events, a heap by time then sequence.
	events []*event
	free   []*event
	seq    uint64

	socks   []*socket // by handle - fdBase; nil once closed
	conns   []*conn   // every connection, in creation order (compacted)
	compact int       // len(conns) at which to compact next
	held    []*flow   // flows holding segments, in the order they began

	tr tracer
}

// Host is a simulated machine: a task tree with its own address, its
// own ports, and a network that its tasks reach through their ctx.
type Host struct {
	w    *World
	name string
	addr netip.Addr
	main func(ctx context.Context) error
	root bool // the run's main host

	inc      int  // incarnation: 1 at the first start, +1 at each restart
	up       bool // its sockets work (false once crashed or stopped)
	started  bool
	scope    *task.Scope
	done     *task.Event
	result   error // the last incarnation's main's error
	quiet    bool  // the incarnation was crashed or stopped: its end fails nothing
	net      *hostNet
	ports    map[portKey]*socket // lookup only, never iterated
	nextPort uint16
	socks    []*socket // open sockets, in creation order
}

// Run runs main on the host "main" of a new simulated world and returns
// when main has returned and every other host has been cancelled and has
// ended. It returns main's error joined with those of any host whose main
// failed (the first failure cancels the rest, as in a nursery). The whole
// run is one task.Run on a simulated poller, a MockClock with autojump,
// and the seed of Seed.
func Run(main func(ctx context.Context, w *World) error, opts ...Option) error {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	w := newWorld(cfg)
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			w.n = n
			h := w.newHost("main", func(ctx context.Context) error { return main(ctx, w) })
			h.root = true
			h.start()
			return nil
		})
	}, task.WithPoller(w.poller), task.WithClock(w.clock), task.WithSeed(cfg.seed),
		task.WithSignals(), task.WithLogger(slog.New(slog.DiscardHandler)))
	w.tr.event(w.now(), "", "end")
	return err
}

func newWorld(cfg config) *World {
	w := &World{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(uint64(cfg.seed), 0x5DEECE66D)),
		byName: make(map[string]*Host),
		byAddr: make(map[netip.Addr]*Host),
		links:  make(map[linkKey]*link),
	}
	mc := task.NewMockClock(epoch)
	mc.SetAutojump(0)
	w.clock = &simClock{MockClock: mc, w: w}
	w.poller = &poller{w: w, wake: make(chan struct{}, 1)}
	w.tr = tracer{w: cfg.trace, ring: cfg.ring}
	return w
}

// now is the simulated time since the start of the run.
func (w *World) now() time.Duration { return w.clock.Now().Sub(epoch) }

// Host starts a host called name whose root task runs main, with its own
// address (10.0.0.N, N by order of creation: "main" is 10.0.0.1) and its
// own network, which main's ctx carries: streams' listeners, dials and
// datagram sockets made with it are simulated, and name resolves to the
// host's address. A main that returns an error fails the run, unless the
// host was crashed or stopped. Host panics if name is taken.
func (w *World) Host(name string, main func(ctx context.Context) error) *Host {
	h := w.newHost(name, main)
	h.start()
	return h
}

func (w *World) newHost(name string, main func(ctx context.Context) error) *Host {
	if _, ok := w.byName[name]; ok {
		panic(fmt.Sprintf("sim: World.Host(%q): a host of that name exists", name))
	}
	i := len(w.hosts) + 1
	addr := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	h := &Host{w: w, name: name, addr: addr, main: main, ports: make(map[portKey]*socket), nextPort: ephemeralFirst}
	w.hosts = append(w.hosts, h)
	w.byName[name] = h
	w.byAddr[addr] = h
	return h
}

// start runs a new incarnation of h's main.
func (h *Host) start() {
	w := h.w
	h.inc++
	h.up, h.started, h.quiet, h.result = true, true, false, nil
	h.net = &hostNet{h: h, inc: h.inc}
	done := &task.Event{}
	h.done = done
	inc := h.inc
	if inc == 1 {
		w.tr.event(w.now(), h.name, "start "+h.addr.String())
	} else {
		w.tr.event(w.now(), h.name, "restart")
	}
	w.n.Go(func(ctx context.Context) error {
		defer done.Set()
		if h.inc != inc || !h.up {
			return nil // crashed before it ran
		}
		ctx = netsys.With(ctx, h.net)
		err := task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
			h.scope = s
			return h.main(ctx)
		})
		if h.inc == inc {
			h.result = err
		}
		if h.root {
			w.ending = true
			w.n.Cancel() // the other hosts end with main
			return err
		}
		if h.inc != inc || h.quiet {
			return nil // crashed or stopped: Stop reports it
		}
		if err != nil {
			if w.ending && errors.Is(err, context.Canceled) {
				return nil
			}
			w.tr.event(w.now(), h.name, "exit: "+err.Error())
			return fmt.Errorf("sim: host %s: %w", h.name, err)
		}
		w.tr.event(w.now(), h.name, "exit")
		return nil
	}, task.Name("sim host "+h.name))
}

// Name returns the host's name, which resolves to its address.
func (h *Host) Name() string { return h.name }

// Addr returns the host's address.
func (h *Host) Addr() netip.Addr { return h.addr }

// Crash cuts the host's power: its sockets vanish at once, with no FIN
// and no RST; what it had sent and was still in flight is lost, segments
// sent to it are held (its peers see silence until their own timeouts,
// or until it restarts and answers them with a RST); its listening ports
// are free; its tasks are cancelled, and every network call they make
// from now on fails (EBADF on its sockets, ENETDOWN for new ones).
// Crashing a host that is down does nothing.
func (h *Host) Crash() {
	if !h.up {
		return
	}
	w := h.w
	w.tr.event(w.now(), h.name, "crash")
	h.up, h.quiet = false, true
	w.powerCut(h)
	if h.scope != nil {
		h.scope.Cancel()
	}
}

// Stop ends the host gracefully: its root scope is cancelled, Stop waits
// for its tasks to end (shielded cleanup runs and its goodbyes go out),
// then the sockets still open are closed as a process's are at exit
// (FIN, or RST where data was left unread). It returns the host's main's
// error, or nil if main ended by the cancellation; an error from ctx if
// it stops waiting first. Stopping a host that is down returns nil.
func (h *Host) Stop(ctx context.Context) error {
	if !h.up {
		return nil
	}
	w := h.w
	w.tr.event(w.now(), h.name, "stop")
	h.quiet = true
	inc := h.inc
	if h.scope != nil {
		h.scope.Cancel()
	}
	if err := h.done.Wait(ctx); err != nil {
		return fmt.Errorf("sim: Stop %s: %w", h.name, err)
	}
	if h.inc != inc || !h.up {
		return nil // crashed or restarted meanwhile
	}
	w.exitClose(h)
	h.up = false
	w.tr.event(w.now(), h.name, "stopped")
	err := h.result
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Restart runs the host's main again, from a fresh ctx, with the same
// name and address; its ports are free. A host that is up is crashed
// first. The tasks of the last incarnation may still be unwinding: they
// can no longer use the network.
func (h *Host) Restart() {
	if h.up {
		h.Crash()
	}
	h.start()
}

// String returns the host's name and address.
func (h *Host) String() string { return h.name + " (" + h.addr.String() + ")" }

// discard is an io.Writer that keeps nothing.
var _ io.Writer = io.Discard
