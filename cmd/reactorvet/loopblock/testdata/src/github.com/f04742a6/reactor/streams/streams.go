// Package streams is a stub of github.com/f04742a6/reactor/streams for
// the analyzer's tests: the signatures only.
package streams

import (
	"context"
	"net"
	"net/netip"
)

type Stream interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

type SocketStream struct{}

func (s *SocketStream) Read(p []byte) (int, error)  { return 0, nil }
func (s *SocketStream) Write(p []byte) (int, error) { return 0, nil }

type Listener interface{ Close() error }

type Handler func(ctx context.Context, s Stream) error

type DialOption func()

func Serve(ctx context.Context, l Listener, h Handler) error { return nil }
func ServeTCP(ctx context.Context, address string, h Handler, started func(net.Addr)) error {
	return nil
}
func DialTCP(ctx context.Context, address string, opts ...DialOption) (*SocketStream, error) {
	return nil, nil
}
func WithAttempt(f func(ctx context.Context, ap netip.AddrPort) (*SocketStream, error)) DialOption {
	return nil
}
func Conn(ctx context.Context, s Stream) net.Conn { return nil }
