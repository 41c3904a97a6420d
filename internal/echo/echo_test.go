package echo

import (
	"testing"

	"github.com/f04742a6/reactor/loop"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		conns, total, size int
	}{{1, 50, 64}, {8, 400, 64}, {4, 20, 1 << 20}, {2, 4, 16 << 20}} {
		l, err := loop.New()
		if err != nil {
			t.Fatal(err)
		}
		s, err := Listen(l, 0)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, tc.size)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		var result error
		p := &Pinger{Total: tc.total, Msg: msg, Done: func(err error) { result = err; l.Stop() }}
		if err := p.Dial(l, s.Port, tc.conns); err != nil {
			t.Fatal(err)
		}
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		p.Close()
		s.Close()
		l.Close()
		if result != nil || p.Finished != tc.total || s.Accepted != tc.conns {
			t.Fatalf("%+v: err=%v finished=%d accepted=%d", tc, result, p.Finished, s.Accepted)
		}
	}
}
