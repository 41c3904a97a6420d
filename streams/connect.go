package streams

import (
	"context"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
)

// connectSocket connects fd (a fresh non-blocking socket of sys, closed
// on any failure) to to and returns the stream.
func connectSocket(ctx context.Context, sys netsys.Network, fd uintptr, to netsys.Addr, noDelay bool) (*SocketStream, error) {
	err := sys.Connect(fd, to)
	inProgress := netsys.InProgress(err)
	if err != nil && !inProgress {
		sys.Close(fd)
		return nil, syscallError("connect", err)
	}
	if noDelay {
		sys.SetOption(fd, netsys.NoDelay, true) // best effort: a failure costs latency, not correctness
	}
	s, rerr := newSocketStream(ctx, sys, fd, netsys.Stream, netAddr(to, netsys.Stream))
	if rerr != nil {
		return nil, rerr
	}
	if inProgress {
		s.pfd.Consume(reactor.Writable) // writable will mean connected (or failed)
		if err := s.pfd.WaitWritable(ctx, "Dial"); err != nil {
			s.Close()
			return nil, err
		}
		if err := sys.SocketError(fd); err != nil {
			s.Close()
			return nil, syscallError("connect", err)
		}
	}
	return s, nil
}
