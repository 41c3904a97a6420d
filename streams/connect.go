package streams

import (
	"context"
	"os"

	"github.com/f04742a6/reactor"
)

// connectSocket connects fd (a fresh non-blocking socket, closed on any
// failure) to sa and returns the stream.
func connectSocket(ctx context.Context, fd uintptr, sa sockaddr, typ int, noDelay bool) (*SocketStream, error) {
	err := sysConnect(fd, sa)
	if err != nil && err != errInProgress {
		sysClose(fd)
		return nil, os.NewSyscallError("connect", osError(err))
	}
	if noDelay {
		sysSetNoDelay(fd)
	}
	s, rerr := newSocketStream(ctx, fd, typ, netAddr(sa, typ))
	if rerr != nil {
		return nil, rerr
	}
	if err == errInProgress {
		s.pfd.Consume(reactor.Writable) // writable will mean connected (or failed)
		if err := s.pfd.WaitWritable(ctx, "Dial"); err != nil {
			s.Close()
			return nil, err
		}
		if err := sysSocketError(fd); err != nil {
			s.Close()
			return nil, os.NewSyscallError("connect", osError(err))
		}
	}
	return s, nil
}
