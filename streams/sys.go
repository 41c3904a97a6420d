package streams

import (
	"context"
	"net"
	"os"

	"github.com/f04742a6/reactor/internal/netsys"
)

// Streams make no system call of their own: every socket call goes
// through the netsys.Network a socket was made on, found in the ctx of
// the call that made it (netsys.From: the operating system's unless the
// ctx carries another, as a simulated host's does). A stream, listener or
// datagram socket keeps its Network for its life; an accepted stream
// takes its listener's.

// sysOf returns the socket layer for sockets made with ctx.
func sysOf(ctx context.Context) netsys.Network { return netsys.From(ctx) }

// syscallError names the system call that failed, as package net does
// ("connect: connection refused"); errors.Is still finds the errno.
func syscallError(call string, err error) error { return os.NewSyscallError(call, err) }

// netAddr converts a socket layer's address to the net package's types;
// nil for no address.
func netAddr(a netsys.Addr, typ netsys.Type) net.Addr {
	switch a.Family {
	case netsys.IPv4, netsys.IPv6:
		if typ == netsys.Datagram {
			return net.UDPAddrFromAddrPort(a.IP)
		}
		return net.TCPAddrFromAddrPort(a.IP)
	case netsys.Unix:
		return &net.UnixAddr{Name: a.Path, Net: "unix"}
	}
	return nil
}

// askLocalAddr and askRemoteAddr ask sys for fd's addresses; nil if it cannot
// tell.
func askLocalAddr(sys netsys.Network, fd uintptr, typ netsys.Type) net.Addr {
	a, err := sys.LocalAddr(fd)
	if err != nil {
		return nil
	}
	return netAddr(a, typ)
}

func askRemoteAddr(sys netsys.Network, fd uintptr, typ netsys.Type) net.Addr {
	a, err := sys.RemoteAddr(fd)
	if err != nil {
		return nil
	}
	return netAddr(a, typ)
}
