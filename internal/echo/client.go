package echo

import (
	"bytes"
	"fmt"
	"time"

	"github.com/f04742a6/reactor/internal/sock"
	"github.com/f04742a6/reactor/loop"
)

// Pinger drives ping-pong round trips over several connections to an echo
// server, on the loop: each connection sends a message, waits for the
// whole echo, checks it, and sends the next, until Total round trips are
// done across all connections.
type Pinger struct {
	Total    int           // round trips to make, shared by the connections
	Msg      []byte        // the message bounced
	Done     func(error)   // called once, when all are done or one failed
	Started  int           // round trips started so far
	Finished int           // round trips completed so far
	Elapsed  time.Duration // summed round-trip time, on the loop's clock
	conns    []*conn
	l        *loop.Loop
	failed   bool
}

// Dial opens n connections to 127.0.0.1:port and starts the round trips.
func (p *Pinger) Dial(l *loop.Loop, port, n int) error {
	p.l = l
	for range n {
		fd, err := sock.DialTCP(port)
		if err != nil {
			p.Close()
			return fmt.Errorf("echo: dial: %w", err)
		}
		// A buffer larger than the message: a short read then means the
		// socket is drained, with no extra read to learn it.
		c := newConn(l, fd, max(64<<10, len(p.Msg)))
		p.conns = append(p.conns, c)
		var got []byte
		var sent time.Time
		c.onData = func(c *conn, b []byte) {
			got = append(got, b...)
			if len(got) < len(p.Msg) {
				return
			}
			if !bytes.Equal(got, p.Msg) {
				p.finish(fmt.Errorf("echo: fd %d: got %q back, sent %q", c.fd, got, p.Msg))
				return
			}
			got = got[:0]
			p.Finished++
			p.Elapsed += l.Now().Sub(sent)
			if p.Finished == p.Total {
				p.finish(nil)
				return
			}
			p.send(c, &sent)
		}
		c.onClose = func(c *conn, err error) {
			if p.Finished < p.Total {
				p.finish(fmt.Errorf("echo: connection fd %d closed after %d round trips: %v", c.fd, p.Finished, err))
			}
		}
		if err := c.start(); err != nil {
			p.Close()
			return err
		}
		p.send(c, &sent)
	}
	return nil
}

func (p *Pinger) send(c *conn, sent *time.Time) {
	if p.Started >= p.Total {
		return
	}
	p.Started++
	*sent = p.l.Now()
	c.write(p.Msg)
}

func (p *Pinger) finish(err error) {
	if p.failed {
		return
	}
	if err != nil {
		p.failed = true
	}
	if p.Done != nil {
		p.Done(err)
	}
}

// Close closes every connection.
func (p *Pinger) Close() {
	p.failed = true // closing is not a failure to report
	for _, c := range p.conns {
		c.close(nil)
	}
}
