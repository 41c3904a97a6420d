//go:build !linux && !darwin && !freebsd && !windows

package netsys

import (
	"context"
	"net/netip"
)

// OS is the operating system's socket layer. This system has none here
// (the reactor has no poller for it either: linux, darwin, freebsd and
// windows have both): every call fails with an *UnsupportedError that
// names the operation and the system, so that code using streams builds
// here and says plainly what is missing when it runs.
type OS struct{}

var _ Network = OS{}

func (OS) Socket(Family, Type) (uintptr, error)        { return 0, unsupported("socket") }
func (OS) Bind(uintptr, Addr) error                    { return unsupported("bind") }
func (OS) Listen(uintptr, int) error                   { return unsupported("listen") }
func (OS) Accept(uintptr) (uintptr, Addr, error)       { return 0, Addr{}, unsupported("accept") }
func (OS) Connect(uintptr, Addr) error                 { return unsupported("connect") }
func (OS) SocketError(uintptr) error                   { return unsupported("getsockopt SO_ERROR") }
func (OS) Read(uintptr, []byte) (int, error)           { return 0, unsupported("read") }
func (OS) Write(uintptr, []byte) (int, error)          { return 0, unsupported("write") }
func (OS) ShutdownWrite(uintptr) error                 { return unsupported("shutdown") }
func (OS) Close(uintptr) error                         { return unsupported("close") }
func (OS) SetOption(_ uintptr, o Option, _ bool) error { return unsupported(o.String()) }
func (OS) LocalAddr(uintptr) (Addr, error)             { return Addr{}, unsupported("getsockname") }
func (OS) RemoteAddr(uintptr) (Addr, error)            { return Addr{}, unsupported("getpeername") }
func (OS) Unlink(string) error                         { return unsupported("unlink") }
func (OS) Pair() (uintptr, uintptr, error)             { return 0, 0, unsupported("socketpair") }
func (OS) SetBlocking(uintptr, bool) error             { return unsupported("set blocking") }

func (OS) RecvFrom(uintptr, []byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, unsupported("recvfrom")
}

func (OS) SendTo(uintptr, []byte, netip.AddrPort) (int, error) {
	return 0, unsupported("sendto")
}

// Resolver fails too: a host name found here could not be dialled.
func (OS) Resolver() (Resolver, bool) { return noResolver{}, false }

type noResolver struct{}

func (noResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, unsupported("name resolution")
}
