package reactor_test

import (
	"fmt"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/sock"
)

// A poller reports readiness changes; the readiness stays on the
// registration until the consumer saw the fd would block.
func Example() {
	p, err := reactor.New()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	a, b, err := sock.Pair()
	if err != nil {
		panic(err)
	}
	defer sock.Close(a)
	defer sock.Close(b)

	if err := p.Register(a); err != nil {
		panic(err)
	}
	// A new registration says both directions may be tried.
	buf := make([]byte, 16)
	if _, err := sock.Read(a, buf); err == sock.ErrWouldBlock {
		p.Consume(a, reactor.Readable) // nothing yet: wait for the kernel's word
	}
	sock.Write(b, []byte("ping"))
	events := make([]reactor.Event, 8)
	for p.Readiness(a)&reactor.Readable == 0 {
		if _, err := p.Wait(events, time.Second); err != nil {
			panic(err)
		}
	}
	n, _ := sock.Read(a, buf)
	fmt.Printf("%s\n", buf[:n])
	if _, err := sock.Read(a, buf); err == sock.ErrWouldBlock {
		p.Consume(a, reactor.Readable) // drained: the next edge will be reported
	}
	fmt.Println(p.Readiness(a) & reactor.Readable)
	// Output:
	// ping
	// none
}
