package streams

import (
	"context"
	"net/netip"
)

// WithAttempt replaces DialTCP's connection attempt, so that tests can
// time happy eyeballs on a mock clock.
func WithAttempt(f func(ctx context.Context, ap netip.AddrPort) (*SocketStream, error)) DialOption {
	return func(c *dialConfig) { c.attempt = f }
}

// ConnectTCP is one real connection attempt.
var ConnectTCP = connectTCP
