package streams

import (
	"context"
	"net"
	"net/netip"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// DatagramSocket is a UDP socket registered with its task's loop. One task
// may read while another writes; Close is safe from any goroutine.
//
// It belongs to the Run whose task made it: ReadFrom and WriteTo from a
// task of another Run (or of a Run started after it ended) panic, naming
// the socket and what to do instead; Close, LocalAddr and String work
// from anywhere, also after the Run returned. A socket still open when
// its Run returns is closed then and reported (one log record through the
// Run's logger).
type DatagramSocket struct {
	pfd              *task.PollFD
	fd               uintptr
	sys              netsys.Network // the socket layer of fd
	local            net.Addr
	reading, writing bool
}

// ListenUDP binds a UDP socket to address ("127.0.0.1:0", "[::1]:53").
func ListenUDP(ctx context.Context, address string) (*DatagramSocket, error) {
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, opError("listen udp", nil, nil, err)
	}
	sys := sysOf(ctx)
	r, blocks := sys.Resolver()
	ips, err := resolve(ctx, r, blocks, host)
	if err != nil {
		return nil, opError("listen udp", nil, nil, err)
	}
	ap := netip.AddrPortFrom(ips[0], port)
	where := net.UDPAddrFromAddrPort(ap)
	fd, err := sys.Socket(netsys.FamilyOf(ap.Addr()), netsys.Datagram)
	if err != nil {
		return nil, opError("listen udp", where, nil, syscallError("socket", err))
	}
	if err := sys.Bind(fd, netsys.IPAddr(ap)); err != nil {
		sys.Close(fd)
		return nil, opError("listen udp", where, nil, syscallError("bind", err))
	}
	pfd, err := task.RegisterFD(ctx, fd)
	if err != nil {
		sys.Close(fd)
		return nil, opError("listen udp", where, nil, err)
	}
	d := &DatagramSocket{pfd: pfd, fd: fd, sys: sys, local: askLocalAddr(sys, fd, netsys.Datagram)}
	pfd.Own(d)
	return d, nil
}

// ReadFrom receives one datagram into p and returns its length and
// sender. A datagram longer than p is cut to len(p).
func (d *DatagramSocket) ReadFrom(ctx context.Context, p []byte) (int, netip.AddrPort, error) {
	if err := d.begin(ctx, "ReadFrom", "read from"); err != nil {
		return 0, netip.AddrPort{}, err
	}
	if d.reading {
		return 0, netip.AddrPort{}, busyError("read from", d.local, "reading")
	}
	d.reading = true
	defer func() { d.reading = false }()
	waited := false
	for {
		if !d.pfd.CanRead() {
			if err := d.pfd.WaitReadable(ctx, "ReadFrom"); err != nil {
				return 0, netip.AddrPort{}, d.waitError("read from", err)
			}
			waited = true
		}
		n, from, err := d.sys.RecvFrom(d.fd, p)
		switch {
		case err == nil:
			if !waited { // a queue of datagrams must not keep the loop
				task.Progress(ctx)
			}
			return n, from, nil
		case netsys.WouldBlock(err):
			d.pfd.Consume(reactor.Readable)
		default:
			return 0, netip.AddrPort{}, opError("read from", d.local, nil, syscallError("recvfrom", err))
		}
	}
}

// WriteTo sends p as one datagram to addr.
func (d *DatagramSocket) WriteTo(ctx context.Context, p []byte, addr netip.AddrPort) (int, error) {
	if err := d.begin(ctx, "WriteTo", "write to"); err != nil {
		return 0, err
	}
	if d.writing {
		return 0, busyError("write to", d.local, "writing")
	}
	d.writing = true
	defer func() { d.writing = false }()
	waited := false
	for {
		if !d.pfd.CanWrite() {
			if err := d.pfd.WaitWritable(ctx, "WriteTo"); err != nil {
				return 0, d.waitError("write to", err)
			}
			waited = true
		}
		n, err := d.sys.SendTo(d.fd, p, netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port()))
		switch {
		case err == nil:
			if !waited {
				task.Progress(ctx)
			}
			return n, nil
		case netsys.WouldBlock(err):
			d.pfd.Consume(reactor.Writable)
		default:
			return 0, opError("write to", net.UDPAddrFromAddrPort(addr), nil, syscallError("sendto", err))
		}
	}
}

// begin is the start of ReadFrom and WriteTo: the Run check and the
// cancel check (named after the method, as the waits are), then closed
// (named in errors' words).
func (d *DatagramSocket) begin(ctx context.Context, method, op string) error {
	if err := d.pfd.CheckCancelled(ctx, method); err != nil {
		return err
	}
	if d.pfd.Closed() {
		return closedError(op, d.local)
	}
	return nil
}

func (d *DatagramSocket) waitError(op string, err error) error {
	if d.pfd.Closed() {
		return closedError(op, d.local)
	}
	return err
}

// LocalAddr returns the bound address.
func (d *DatagramSocket) LocalAddr() net.Addr { return d.local }

// Close closes the socket; idempotent, safe from any goroutine, also
// after the socket's Run returned (which closed it if it was left open).
func (d *DatagramSocket) Close() error { return d.pfd.Close(d.sys.Close) }

// String names the socket with its address: "UDP socket 127.0.0.1:5353".
func (d *DatagramSocket) String() string { return "UDP socket " + addrString(d.local) }
