package streams

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// Resolver looks up a host's addresses; *net.Resolver is one. DialTCP
// calls one given with WithResolver on a ToThread worker with the
// worker's ctx (which carries the task's deadline), so a resolver may
// block.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialOption configures DialTCP.
type DialOption func(*dialConfig)

type dialConfig struct {
	fallback time.Duration
	resolver Resolver
	// attempt connects to one address: connectTCP, or a test's hook.
	attempt func(ctx context.Context, ap netip.AddrPort) (*SocketStream, error)
}

// DefaultFallbackDelay is how long DialTCP lets an attempt run before it
// starts the next one (RFC 8305 recommends 250 ms).
const DefaultFallbackDelay = 250 * time.Millisecond

// FallbackDelay sets how long an attempt runs alone before the next
// starts; zero or less means the default.
func FallbackDelay(d time.Duration) DialOption { return func(c *dialConfig) { c.fallback = d } }

// WithResolver resolves host names with r instead of the default: the
// system's (net.DefaultResolver), or the hosts of a simulated network
// when the ctx belongs to one.
func WithResolver(r Resolver) DialOption { return func(c *dialConfig) { c.resolver = r } }

// DialTCP connects to address ("host:port"). A host name is resolved off
// the loop; its addresses are raced with happy eyeballs (RFC 8305):
// ordered alternating between the families, starting with the family of
// the first address; each attempt starts after the previous one has run
// for the fallback delay, or at once when it fails; the first to connect
// wins and every other socket is closed. If every attempt fails, the
// error joins every cause. Cancellation closes every socket. The stream
// has TCP_NODELAY set.
func DialTCP(ctx context.Context, address string, opts ...DialOption) (*SocketStream, error) {
	cfg := dialConfig{attempt: connectTCP}
	for _, o := range opts {
		o(&cfg)
	}
	resolver, blocks := sysOf(ctx).Resolver()
	if cfg.resolver != nil {
		resolver, blocks = cfg.resolver, true
	}
	if cfg.fallback <= 0 {
		cfg.fallback = DefaultFallbackDelay
	}
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, opError("dial", nil, nil, fmt.Errorf("%q: %w", address, err))
	}
	ips, err := resolve(ctx, resolver, blocks, host)
	if err != nil {
		return nil, opError("dial", nil, nil, fmt.Errorf("%q: %w", address, err))
	}
	aps := make([]netip.AddrPort, len(ips))
	for i, ip := range interleave(ips) {
		aps[i] = netip.AddrPortFrom(ip, port)
	}
	s, err := race(ctx, aps, cfg)
	if err != nil {
		return nil, opError("dial", nil, nil, fmt.Errorf("%q: %w", address, err))
	}
	s.pfd.Adopt(ctx) // made by the caller, not by the attempt's task
	return s, nil
}

// resolve returns host's addresses: host itself if it is an address
// literal, else the resolver's answer, looked up on a worker thread if
// the resolver may block, else by the task itself.
func resolve(ctx context.Context, r netsys.Resolver, blocks bool, host string) ([]netip.Addr, error) {
	if host == "" {
		return []netip.Addr{netip.IPv4Unspecified()}, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	var ips []netip.Addr
	var err error
	if blocks {
		err = task.ToThread(ctx, func(wctx context.Context) error {
			var err error
			ips, err = r.LookupNetIP(wctx, "ip", host)
			return err
		})
	} else {
		ips, err = r.LookupNetIP(ctx, "ip", host)
	}
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// interleave orders addresses for happy eyeballs (RFC 8305 section 4):
// alternating families, starting with the first address's, each family in
// the resolver's order.
func interleave(ips []netip.Addr) []netip.Addr {
	var first, other []netip.Addr
	for _, ip := range ips {
		if ip.Is4() == ips[0].Is4() {
			first = append(first, ip)
		} else {
			other = append(other, ip)
		}
	}
	out := make([]netip.Addr, 0, len(ips))
	for i := 0; i < len(first) || i < len(other); i++ {
		if i < len(first) {
			out = append(out, first[i])
		}
		if i < len(other) {
			out = append(out, other[i])
		}
	}
	return out
}

// attemptResult is one attempt's outcome.
type attemptResult struct {
	s   *SocketStream
	err error
}

// race runs the attempts of happy eyeballs and returns the winner.
func race(ctx context.Context, aps []netip.AddrPort, cfg dialConfig) (*SocketStream, error) {
	results, receive := task.NewChannel[attemptResult](len(aps))
	var winner *SocketStream
	var errs []error
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		next, running := 0, 0
		start := func() {
			ap := aps[next]
			next++
			running++
			n.Go(func(ctx context.Context) error {
				s, err := cfg.attempt(ctx, ap)
				if err != nil {
					err = fmt.Errorf("%s: %w", ap, err)
				}
				results.TrySend(attemptResult{s, err}) // room for every attempt
				return nil
			})
		}
		start()
		for running > 0 {
			var res attemptResult
			wait := func(ctx context.Context) error {
				var err error
				res, err = receive.Receive(ctx)
				return err
			}
			if next < len(aps) {
				timedOut, err := task.MoveOnAfter(ctx, cfg.fallback, wait)
				if err != nil {
					return err
				}
				if timedOut {
					start()
					continue
				}
			} else if err := wait(ctx); err != nil {
				return err
			}
			running--
			if res.err == nil {
				winner = res.s
				n.Cancel() // the other attempts close their sockets
				return nil
			}
			errs = append(errs, res.err)
			if next < len(aps) {
				start() // at once when an attempt fails
			}
		}
		return nil
	})
	// A loser that connected after the winner, or after a cancellation,
	// sits in the channel: close it.
	for {
		res, rerr := receive.TryReceive()
		if rerr != nil {
			break
		}
		if res.s != nil {
			res.s.Close()
		}
	}
	if err != nil {
		if winner != nil {
			winner.Close()
		}
		return nil, err
	}
	if winner == nil {
		return nil, errors.Join(errs...)
	}
	return winner, nil
}

// connectTCP makes one connection attempt; cancellation closes the socket.
func connectTCP(ctx context.Context, ap netip.AddrPort) (*SocketStream, error) {
	sys := sysOf(ctx)
	fd, err := sys.Socket(netsys.FamilyOf(ap.Addr()), netsys.Stream)
	if err != nil {
		return nil, syscallError("socket", err)
	}
	return connectSocket(ctx, sys, fd, netsys.IPAddr(ap), true)
}

// DialUnix connects to the Unix socket at path.
func DialUnix(ctx context.Context, path string) (*SocketStream, error) {
	// A Unix connect completes at once: the checkpoint is made here.
	if err := task.CheckCancelled(ctx, "DialUnix"); err != nil {
		return nil, opError("dial", &net.UnixAddr{Name: path, Net: "unix"}, nil, err)
	}
	defer task.Progress(ctx)
	sys := sysOf(ctx)
	fd, err := sys.Socket(netsys.Unix, netsys.Stream)
	if err != nil {
		return nil, opError("dial", &net.UnixAddr{Name: path, Net: "unix"}, nil, syscallError("socket", err))
	}
	s, err := connectSocket(ctx, sys, fd, netsys.UnixAddr(path), false)
	if err != nil {
		return nil, opError("dial", &net.UnixAddr{Name: path, Net: "unix"}, nil, err)
	}
	return s, nil
}
