package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The RESP server on a simulated network: one loop of serveLoops (the
// store's reaper and streams.Serve of serveConn; serveLoops itself runs
// loops of its own on threads, which a simulation cannot) on the host
// "redis", clients on hosts of their own, over links of 1-10ms with 1 %
// loss, on the simulated clock.

// redisHost serves cfg on ":6379" as one loop of serveLoops does, with a
// new server (an empty store) each time the host (re)starts.
func redisHost(cfg config) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		srv := newServer(cfg)
		l, err := streams.ListenTCP(ctx, ":6379")
		if err != nil {
			return err
		}
		defer l.Close()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return srv.db.reaper(ctx, 0, 1) })
			return streams.Serve(ctx, l, srv.serveConn)
		})
	}
}

func redisDial(ctx context.Context) (streams.Stream, error) {
	return streams.DialTCP(ctx, "redis:6379")
}

// The demo's load (PING, SET, GET, pipelined by 3) from two client hosts
// of four connections each.
func TestSimRespLoad(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		w.Host("redis", redisHost(config{maxPending: 256 << 20}))
		if err := task.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		done := &task.Event{}
		finished := 0
		for i := range 2 {
			w.Host(fmt.Sprintf("client%d", i), func(ctx context.Context) error {
				res, err := load(ctx, redisDial, config{conns: 4, total: 600, pipeline: 3, size: 100})
				if err != nil {
					return err
				}
				if res.Trips != 200 {
					return fmt.Errorf("%d pipelines, want 200", res.Trips)
				}
				if finished++; finished == 2 {
					done.Set()
				}
				return nil
			})
		}
		return done.Wait(ctx)
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
}

// simOpTimeout bounds one request (or dial) of the reconnecting client: a
// crashed server is silent, so without it a client would wait for its
// reply until the TCP user timeout.
const simOpTimeout = 2 * time.Second

// respTracker is a client that INCRs its own counter in a loop over one
// connection, and on any error (a timeout, a reset) drops the connection
// and dials again.
type respTracker struct {
	name       string
	last       int64 // the counter's value as last read
	ops        int   // INCRs answered
	errs       int   // failed requests and dials
	resets     int   // times the counter started again from 1
	opsAtReset int
}

// errWrongReply is a reply that breaks the counter's sequence: a bug,
// not a fault to reconnect after.
type errWrongReply struct{ msg string }

func (e errWrongReply) Error() string { return e.msg }

func (tr *respTracker) run(ctx context.Context, until func(*respTracker) bool, progress func()) error {
	var c *client
	defer func() {
		if c != nil {
			c.s.Close()
		}
	}()
	for !until(tr) {
		var wrong error
		err := task.FailAfter(ctx, simOpTimeout, func(ctx context.Context) error {
			if c == nil {
				s, err := redisDial(ctx)
				if err != nil {
					return err
				}
				c = newClient(s, 4<<10)
			}
			r, err := c.do(ctx, "INCR", "counter:"+tr.name)
			if err != nil {
				return err
			}
			switch {
			case r.kind != ':':
				wrong = errWrongReply{fmt.Sprintf("%s: INCR: %v", tr.name, r)}
			case r.n == tr.last+1:
			case r.n == 1 && tr.errs > 0: // a new server, an empty store
				tr.resets++
				tr.opsAtReset = tr.ops
			default:
				wrong = errWrongReply{fmt.Sprintf("%s: INCR: %d after %d (%d errors)", tr.name, r.n, tr.last, tr.errs)}
			}
			tr.last = r.n
			tr.ops++
			progress()
			return nil
		})
		if wrong != nil {
			return wrong
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			tr.errs++ // the server is gone: dial again
			if c != nil {
				c.s.Close()
				c = nil
			}
			if err := task.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// A server crash (power cut) and restart under three clients: each sees
// errors (its requests time out against the silent host, dials hang,
// then its old connection is reset by the new server), reconnects, and
// succeeds again against the new server, whose store starts empty (the
// counters start again from 1, once).
func TestSimRespServerRestartUnderClients(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		srv := w.Host("redis", redisHost(config{maxPending: 256 << 20}))
		if err := task.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		const clients, before, after = 3, 20, 20
		var trackers []*respTracker
		progress := &task.Event{}
		finished := &task.Event{}
		nDone, nBefore := 0, 0
		for i := range clients {
			tr := &respTracker{name: fmt.Sprintf("client%d", i)}
			trackers = append(trackers, tr)
			w.Host(tr.name, func(ctx context.Context) error {
				err := tr.run(ctx, func(tr *respTracker) bool {
					return tr.resets > 0 && tr.ops-tr.opsAtReset >= after
				}, func() {
					if tr.ops == before {
						if nBefore++; nBefore == clients {
							progress.Set() // every client is far enough: crash
						}
					}
				})
				if err != nil {
					return err
				}
				if nDone++; nDone == clients {
					finished.Set()
				}
				return nil
			})
		}
		return task.FailAfter(ctx, 10*time.Minute, func(ctx context.Context) error {
			if err := progress.Wait(ctx); err != nil {
				return err
			}
			srv.Crash()
			crashed := task.Now(ctx)
			if err := task.Sleep(ctx, 5*time.Second); err != nil {
				return err
			}
			for _, tr := range trackers {
				if tr.errs == 0 {
					t.Errorf("%s: no error 5s after the server crashed", tr.name)
				}
			}
			srv.Restart()
			if err := finished.Wait(ctx); err != nil {
				for _, tr := range trackers {
					t.Logf("%+v", *tr) // which one is not back
				}
				return err
			}
			for _, tr := range trackers {
				if tr.resets != 1 || tr.opsAtReset == 0 {
					t.Errorf("%s: the counter started again %d times, after %d INCRs; want once, after some", tr.name, tr.resets, tr.opsAtReset)
				}
			}
			if d := task.Now(ctx).Sub(crashed); d > time.Minute {
				t.Errorf("the clients were back %v after the crash", d)
			}
			return nil
		})
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
}
