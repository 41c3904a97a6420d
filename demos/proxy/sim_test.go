package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The proxy on a simulated network: the upstream on the host "upstream",
// the proxy (handler, idle timeout a minute) on "proxy", the client on
// "main", over links of 1-10ms with 1 % loss, on the simulated clock; a
// partition between the proxy and the upstream in the middle of a copy.

// simIdle is the proxy's idle timeout in the simulated runs.
const simIdle = time.Minute

// simCopy is what the client sends through the proxy.
const simCopy = 1 << 20

// digester is an upstream that reads to EOF, then answers with the count
// and SHA-256 of what it read, and closes; it records what it got.
type digester struct {
	got     int
	half    *task.Event // set once half the copy is in
	ended   time.Time
	err     error
	answers int
}

func (d *digester) serve(ctx context.Context, s streams.Stream) error {
	h := sha256.New()
	buf := make([]byte, 16<<10)
	err := func() error {
		for {
			n, err := s.Read(ctx, buf)
			h.Write(buf[:n])
			d.got += n
			if d.got >= simCopy/2 {
				d.half.Set()
			}
			if err == io.EOF {
				d.answers++
				_, err := s.Write(ctx, fmt.Appendf(nil, "got %d bytes %x", d.got, h.Sum(nil)))
				return err
			}
			if err != nil {
				return err
			}
		}
	}()
	d.ended, d.err = task.Now(ctx), err
	return err
}

// simProxy starts the upstream and the proxy in w and returns the
// upstream's record.
func simProxy(ctx context.Context, w *sim.World) (*digester, error) {
	d := &digester{half: &task.Event{}}
	w.Host("upstream", func(ctx context.Context) error {
		return streams.ServeTCP(ctx, ":9000", d.serve, nil)
	})
	w.Host("proxy", func(ctx context.Context) error {
		dial := func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, "upstream:9000") }
		return streams.ServeTCP(ctx, ":8000", handler(dial, simIdle), nil)
	})
	return d, task.Sleep(ctx, time.Millisecond)
}

// copyThrough sends simCopy bytes through the proxy, half-closes, and
// returns the answer (io.ReadAll's error: nil if it ended with EOF) and
// the SHA-256 the answer must carry.
func copyThrough(ctx context.Context) (answer string, want string, err error) {
	c, err := streams.DialTCP(ctx, "proxy:8000")
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	msg := make([]byte, simCopy)
	for i := range msg {
		msg[i] = byte(i*31 + i>>10)
	}
	want = fmt.Sprintf("got %d bytes %x", simCopy, sha256.Sum256(msg))
	var got []byte
	err = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error {
			if _, err := c.Write(ctx, msg); err != nil {
				return err
			}
			return c.CloseWrite(ctx)
		})
		var err error
		got, err = io.ReadAll(streams.Conn(ctx, c))
		return err
	})
	return string(got), want, err
}

// A partition between the proxy and the upstream in the middle of a
// copy, healed after 40 s (before the idle timeout): the copy completes,
// every byte in order (the upstream's SHA-256 matches), the half-close
// passed on, the answer back.
func TestSimProxyPartitionHealedBeforeIdle(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		d, err := simProxy(ctx, w)
		if err != nil {
			return err
		}
		var partitioned time.Time
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				if err := d.half.Wait(ctx); err != nil {
					return err
				}
				w.Partition("proxy", "upstream")
				partitioned = task.Now(ctx)
				if err := task.Sleep(ctx, 40*time.Second); err != nil {
					return err
				}
				w.Heal("proxy", "upstream")
				return nil
			})
			answer, want, err := copyThrough(ctx)
			if err != nil || answer != want {
				t.Errorf("through the proxy: %q, %v; want %q, then EOF", answer, err, want)
			}
			if partitioned.IsZero() || task.Now(ctx).Sub(partitioned) < 40*time.Second {
				t.Errorf("the copy ended %v after the partition (at %v): not across it", task.Now(ctx).Sub(partitioned), partitioned)
			}
			if d.answers != 1 || d.err != nil {
				t.Errorf("upstream: %d answers, %v; want 1, nil", d.answers, d.err)
			}
			return nil
		})
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
}

// The same partition held for 5 minutes, past the idle timeout: the
// proxy ends the connection at the idle timeout, so the client's copy
// fails (its connection reset, not hung) a minute after the partition,
// and the upstream's side is closed too once the partition heals (the
// proxy's FIN reaches it): it read less than the copy and its answer is
// not wanted.
func TestSimProxyPartitionPastIdleClosesBothSides(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		d, err := simProxy(ctx, w)
		if err != nil {
			return err
		}
		var partitioned, healed time.Time
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				if err := d.half.Wait(ctx); err != nil {
					return err
				}
				w.Partition("proxy", "upstream")
				partitioned = task.Now(ctx)
				if err := task.Sleep(ctx, 5*time.Minute); err != nil {
					return err
				}
				w.Heal("proxy", "upstream")
				healed = task.Now(ctx)
				return nil
			})
			answer, want, err := copyThrough(ctx)
			if answer == want {
				t.Errorf("through the proxy: the whole answer, across a partition past the idle timeout")
			}
			closed := task.Now(ctx).Sub(partitioned)
			// The idle clock started at the proxy's last transfer,
			// which may be a little before the partition.
			if closed < simIdle-2*time.Second || closed > simIdle+5*time.Second {
				t.Errorf("the client's connection ended %v after the partition (%q, %v); want at the idle timeout, %v", closed, answer, err, simIdle)
			}
			if !d.ended.IsZero() {
				t.Errorf("the upstream's connection ended during the partition (%v)", d.err)
			}
			// The upstream's side closes once the partition heals.
			if err := task.Sleep(ctx, 5*time.Minute); err != nil {
				return err
			}
			if d.ended.IsZero() || d.ended.Before(healed) || d.ended.Sub(healed) > 5*time.Second {
				t.Errorf("the upstream's connection ended at %v, healed at %v: want just after the heal", d.ended, healed)
			}
			if d.got >= simCopy {
				t.Errorf("the upstream got %d bytes, the whole copy, across the partition", d.got)
			}
			return nil
		})
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
}
