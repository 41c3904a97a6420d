package sim_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func TestUDPLossAndReorder(t *testing.T) {
	const total = 1000
	var got []int
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("rx", func(ctx context.Context) error {
			d, err := streams.ListenUDP(ctx, ":53")
			if err != nil {
				return err
			}
			defer d.Close()
			buf := make([]byte, 64)
			for {
				n, _, err := d.ReadFrom(ctx, buf)
				if err != nil {
					return err
				}
				var i int
				fmt.Sscan(string(buf[:n]), &i)
				got = append(got, i)
			}
		})
		if err := settle(ctx); err != nil {
			return err
		}
		d, err := streams.ListenUDP(ctx, ":0")
		if err != nil {
			return err
		}
		defer d.Close()
		to := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), 53)
		for i := range total {
			if _, err := d.WriteTo(ctx, []byte(fmt.Sprint(i)), to); err != nil {
				return err
			}
			if i%10 == 0 {
				task.Sleep(ctx, time.Millisecond)
			}
		}
		return task.Sleep(ctx, time.Second)
	}, sim.Latency(time.Millisecond, 20*time.Millisecond), sim.Loss(0.1))
	if err != nil {
		t.Fatal(err)
	}
	reordered := 0
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			reordered++
		}
	}
	if len(got) < 800 || len(got) > 960 {
		t.Errorf("received %d of %d with 10%% loss", len(got), total)
	}
	if reordered == 0 {
		t.Error("no datagram reordered")
	}
}

func TestUDPQueueFull(t *testing.T) {
	received := 0
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("rx", func(ctx context.Context) error {
			d, err := streams.ListenUDP(ctx, ":53")
			if err != nil {
				return err
			}
			defer d.Close()
			task.Sleep(ctx, time.Second) // does not read while they come
			buf := make([]byte, 2000)
			for {
				if _, _, err := d.ReadFrom(ctx, buf); err != nil {
					return err
				}
				received++
			}
		})
		if err := settle(ctx); err != nil {
			return err
		}
		d, err := streams.ListenUDP(ctx, ":0")
		if err != nil {
			return err
		}
		defer d.Close()
		to := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), 53)
		for range 100 {
			d.WriteTo(ctx, make([]byte, 1000), to)
		}
		return task.Sleep(ctx, 2*time.Second)
	}, sim.Buffer(10000))
	if err != nil {
		t.Fatal(err)
	}
	if received != 10 {
		t.Errorf("received %d datagrams of 1000 bytes through a 10000-byte queue", received)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "server"},
		DNSNames:     []string{"server"},
		NotBefore:    time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLS(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("server", func(ctx context.Context) error {
			return streams.ServeTCP(ctx, ":443", func(ctx context.Context, s streams.Stream) error {
				ts, err := streams.NewTLSServer(ctx, s, &tls.Config{Certificates: []tls.Certificate{cert}})
				if err != nil {
					return err
				}
				defer ts.Close()
				return echo(ctx, ts)
			}, nil)
		})
		if err := settle(ctx); err != nil {
			return err
		}
		c, err := streams.DialTCP(ctx, "server:443")
		if err != nil {
			return err
		}
		ts, err := streams.NewTLSClient(ctx, c, &tls.Config{ServerName: "server", RootCAs: pool,
			Time: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			return err
		}
		defer ts.Close()
		got, err := roundTrip(ctx, ts, []byte("over TLS"))
		if err != nil {
			return err
		}
		if string(got) != "over TLS" {
			t.Errorf("got %q", got)
		}
		return nil
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.02))
	if err != nil {
		t.Fatal(err)
	}
}

// manyClients is the determinism scenario: 20 clients, random latency
// and loss, each sending bursts and reading the echo.
func manyClients(ctx context.Context, w *sim.World) error {
	w.Host("server", echoHost)
	if err := settle(ctx); err != nil {
		return err
	}
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		for i := range 20 {
			n.Go(func(ctx context.Context) error {
				done := &task.Event{}
				w.Host(fmt.Sprintf("client%d", i), func(ctx context.Context) error {
					defer done.Set()
					c, err := streams.DialTCP(ctx, "server:7")
					if err != nil {
						return err
					}
					defer c.Close()
					for j := range 5 {
						msg := bytes.Repeat([]byte{byte('a' + j)}, 100*(i+1)*(j+1))
						got, err := roundTrip(ctx, c, msg)
						if err != nil {
							return err
						}
						if !bytes.Equal(got, msg) {
							return errors.New("echo differs")
						}
					}
					return nil
				})
				return done.Wait(ctx)
			})
		}
		return nil
	})
}

func traceOf(t *testing.T, seed int64) string {
	var b bytes.Buffer
	if err := sim.Run(manyClients, sim.Seed(seed), sim.Latency(time.Millisecond, 30*time.Millisecond),
		sim.Loss(0.05), sim.Trace(&b)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSameSeedSameTrace(t *testing.T) {
	a, b := traceOf(t, 42), traceOf(t, 42)
	if a != b {
		t.Fatalf("seed 42 gave two traces:\n%s\n---\n%s", a, b)
	}
	if n := strings.Count(a, "\n"); n < 500 {
		t.Errorf("trace of %d lines", n)
	}
	if c := traceOf(t, 43); c == a {
		t.Error("seeds 42 and 43 gave the same trace")
	}
}

func countFDs(t *testing.T) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

func TestNoRealFD(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	before := countFDs(t)
	var during int
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		if err := manyClients(ctx, w); err != nil {
			return err
		}
		during = countFDs(t)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := countFDs(t); during != before || after != before {
		t.Errorf("fds: %d before, %d during, %d after", before, during, after)
	}
}

// A real fd cannot be polled inside a simulation: registering one fails
// with an error that says so.
func TestRealFDRefused(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		_, err := task.RegisterFD(ctx, 0) // stdin
		if err == nil || !strings.Contains(err.Error(), "not a simulated socket") {
			t.Errorf("RegisterFD(0): %v", err)
		}
		err = task.WaitReadable(ctx, 0)
		if err == nil || !strings.Contains(err.Error(), "not a simulated socket") {
			t.Errorf("WaitReadable(0): %v", err)
		}
		_, err = streams.DialUnix(ctx, "/tmp/x.sock")
		if err == nil || !strings.Contains(err.Error(), "not simulated") {
			t.Errorf("DialUnix: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ToThread is not refused: the simulated clock stands still while the
// worker runs, so it takes no simulated time.
func TestToThreadTakesNoSimulatedTime(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		t0 := task.Now(ctx)
		err := task.ToThread(ctx, func(ctx context.Context) error {
			time.Sleep(10 * time.Millisecond) // real work on the worker, not synchronisation
			return nil
		})
		if err != nil {
			return err
		}
		if d := task.Now(ctx).Sub(t0); d != 0 {
			t.Errorf("ToThread took %v of simulated time", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStuckIsReported(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("server", func(ctx context.Context) error {
			l, err := streams.ListenTCP(ctx, ":7")
			if err != nil {
				return err
			}
			defer l.Close()
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			return idle(ctx)
		})
		settle(ctx)
		c, err := streams.DialTCP(ctx, "server:7")
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Read(ctx, make([]byte, 1)) // nobody will ever write
		return err
	})
	if !errors.Is(err, task.ErrDeadlock) {
		t.Fatalf("Run: %v, want a deadlock", err)
	}
}

func TestHourOfTraffic(t *testing.T) {
	start := time.Now()
	var simulated time.Duration
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		t0 := task.Now(ctx)
		for task.Now(ctx).Sub(t0) < time.Hour {
			if _, err := roundTrip(ctx, c, []byte("tick")); err != nil {
				return err
			}
			if err := task.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
		simulated = task.Now(ctx).Sub(t0)
		return nil
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("%v of simulated traffic (a round trip every 100ms) in %v", simulated, took)
	if took > 30*time.Second {
		t.Errorf("an hour took %v", took)
	}
}
