package sim_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"go.uber.org/goleak"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoHost serves an echo on port 7 until cancelled.
func echoHost(ctx context.Context) error {
	return streams.ServeTCP(ctx, ":7", echo, nil)
}

func echo(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if _, err := s.Write(ctx, buf[:n]); err != nil {
			return err
		}
	}
}

// roundTrip writes msg to s and reads back as many bytes.
func roundTrip(ctx context.Context, s streams.Stream, msg []byte) ([]byte, error) {
	if _, err := s.Write(ctx, msg); err != nil {
		return nil, err
	}
	got := make([]byte, len(msg))
	_, err := readFull(ctx, s, got)
	return got, err
}

func readFull(ctx context.Context, s streams.Stream, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := s.Read(ctx, p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// dialEchoServer starts host "server" running echoHost, lets it listen,
// and dials it from the calling host.
func dialEchoServer(ctx context.Context, w *sim.World) (*streams.SocketStream, error) {
	w.Host("server", echoHost)
	if err := settle(ctx); err != nil {
		return nil, err
	}
	return streams.DialTCP(ctx, "server:7")
}
