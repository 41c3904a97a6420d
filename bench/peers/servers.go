package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/cloudwego/netpoll"
	"github.com/panjf2000/gnet/v2"
)

// peerServers are the servers a user would pick instead of ours, each
// started as "peers serve NAME ADDR" in a process of its own (so its CPU
// time is its own).
var peerServers = map[string]func(addr string) error{
	"echo-gonet":   serveGoNetEcho,
	"echo-gnet":    serveGnetEcho,
	"echo-netpoll": serveNetpollEcho,
	"http-nethttp": serveNetHTTP,
}

// serveGoNetEcho is the echo server every Go user writes first: package
// net, a goroutine per connection.
func serveGoNetEcho(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

// gnetEcho is gnet's own echo example: one event loop (the comparison is
// loop for loop), the bytes written back from the loop's callback.
type gnetEcho struct{ gnet.BuiltinEventEngine }

func (*gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func serveGnetEcho(addr string) error {
	return gnet.Run(&gnetEcho{}, "tcp://"+addr, gnet.WithMulticore(false), gnet.WithNumEventLoop(1))
}

// serveNetpollEcho is netpoll's echo (cloudwego's server example), one
// poller.
func serveNetpollEcho(addr string) error {
	if err := netpoll.Configure(netpoll.Config{PollerNum: 1}); err != nil {
		return err
	}
	l, err := netpoll.CreateListener("tcp", addr)
	if err != nil {
		return err
	}
	loop, err := netpoll.NewEventLoop(func(ctx context.Context, c netpoll.Connection) error {
		r, w := c.Reader(), c.Writer()
		buf, err := r.Next(r.Len())
		if err != nil {
			return err
		}
		if _, err := w.WriteBinary(buf); err != nil {
			return err
		}
		r.Release()
		return w.Flush()
	})
	if err != nil {
		return err
	}
	return loop.Serve(l)
}

// serveNetHTTP is net/http's hello world.
func serveNetHTTP(addr string) error {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!\n")
	})
	return http.ListenAndServe(addr, nil)
}

func servePeer(name, addr string) error {
	serve, ok := peerServers[name]
	if !ok {
		return fmt.Errorf("peers: no server %q", name)
	}
	return serve(addr)
}
