// Package netsys is the socket layer: the one place where the library's
// socket system calls are made. Package streams makes every socket call
// through a Network (socket, bind, listen, accept, connect and its
// SO_ERROR, read, write, recvfrom, sendto, shutdown, close, options,
// addresses, unlinking a Unix socket's path, name resolution), and so
// does the callback-level code of internal/sock and internal/echo. OS is
// the operating system's implementation: golang.org/x/sys/unix on Linux,
// macOS and FreeBSD, Winsock through golang.org/x/sys/windows on Windows,
// and elsewhere a stub whose every call fails with an *UnsupportedError
// naming the operation and the system (so the library builds there).
//
// # The seam
//
// Network is what a second backend implements: a simulated network (the
// sim package's hosts), or an io_uring backend. It pairs with a
// reactor.Poller, because a socket handed out here is registered with
// the loop's poller (task.RegisterFD) for its whole life and waited on
// there: a backend supplies both, and the poller must know the backend's
// handles. Streams finds the Network through its ctx: With(ctx, n) puts
// one on a ctx (a simulated host's root ctx), From(ctx) returns it, or OS
// when the ctx carries none. A socket keeps the Network it was made on;
// a listener's accepted streams take the listener's.
//
// The contract, for any implementation:
//
//   - Handles are uintptrs the implementation hands out (Socket, Accept);
//     they need not be file descriptors, but they must be what the
//     loop's poller is told about.
//   - Every socket is non-blocking. A call that cannot complete returns
//     syscall.EAGAIN, bare (not wrapped); Connect that goes on in the
//     background returns syscall.EINPROGRESS, bare, and its outcome is
//     read with SocketError once the socket is writable. Callers tell
//     the two by comparison (WouldBlock, InProgress): no allocation.
//   - Readiness follows the poller's rules: after EAGAIN the caller
//     Consumes the bit and waits for the next edge, so the
//     implementation's poller must report an edge whenever a call that
//     failed with EAGAIN could now succeed, and hang-up (the peer's FIN
//     or RST) as HangUp.
//   - Errors are syscall.Errno values of one vocabulary, the Linux
//     meanings, whatever the system (errors.go): ECONNREFUSED for a port
//     nobody listens on, ECONNRESET or EPIPE for a peer that is gone,
//     EBADF or ENOTSOCK for a handle that is not a socket, EMFILE for
//     exhaustion, and so on. Streams maps them the same for every
//     implementation (a reset is task.ErrBrokenResource and matches
//     syscall.ECONNRESET). The classification streams needs is
//     WouldBlock, InProgress, AcceptTransient, AcceptExhausted and
//     ClosedUnderfoot, package functions of that vocabulary.
//   - Read returns (n > 0, nil), (0, nil) at the end of the stream, or
//     (0, err); Write may take less than all of p. Neither keeps p.
//   - Addresses are netip.AddrPort values, or a Unix socket's path
//     (Addr). Name resolution is the Network's too (Resolver): one that
//     does not block is called from the task itself, so a simulated host
//     name resolves without the OS resolver and without a thread.
//
// # The hot path
//
// A Read or Write that can complete at once is one method call on the
// Network and one system call, and allocates nothing: handles and
// errnos are values, EAGAIN is a constant, Windows' WSAEWOULDBLOCK is
// turned into it without boxing. The interface call costs a few
// nanoseconds against a system call's hundred.
//
// This package imports only the standard library and golang.org/x/sys:
// the tests of the reactor, loop and task packages use it (through
// internal/sock), so it must not import them.
package netsys
