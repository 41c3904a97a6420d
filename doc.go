// Package reactor is structured concurrency for Go on a single-threaded
// event loop. Most programs import its package task
// (github.com/f04742a6/reactor/task): Run, nurseries, cancel scopes,
// Sleep, channels and locks for tasks, ToThread; and for I/O its package
// streams (TCP, Unix and TLS streams, Serve, DialTCP, memory pairs, UDP).
// Package loop is the
// callback layer underneath (asyncio-like), and this package, the module's
// root, is the bottom layer: a readiness poller per operating system
// behind one small interface, [Poller], which only a new loop or a new
// backend needs. ARCHITECTURE.md in the repository describes the layers.
//
// The backends:
//
//   - Linux: epoll, every fd registered once, edge-triggered for
//     EPOLLIN|EPOLLOUT|EPOLLRDHUP.
//   - darwin (reactor_darwin.go) and FreeBSD (reactor_freebsd.go): kqueue
//     with EV_CLEAR, shared in kqueue.go (compiled in CI, not run: no
//     machine in CI can execute those binaries).
//   - The two Unix backends are one Poller (poller_unix.go: the table of
//     registrations, Wake, the error rules) around each one's system
//     calls.
//   - Windows: an I/O completion port; socket readiness comes from the AFD
//     driver's IOCTL_AFD_POLL (the technique of wepoll and mio), re-armed
//     whenever the consumer reports that an operation would block.
//
// The contract is the same everywhere, and reactor_test.go checks it
// over every backend a platform has. A registration watches both
// directions for its whole life, and starts with both marked ready:
// nothing is known to block yet, so the caller tries first. Readiness is
// edge-triggered: an event is
// reported when the fd's readiness changes (it becomes ready, or new data
// arrives), never again for a state nobody changed, so an fd that stays
// readable or hung up does not make the poller spin. The readiness bits stay
// set on the registration until the consumer says, with [Poller.Consume],
// that it saw the fd would block; a consumer must therefore read (or write)
// until the operation would block, or remember that it stopped early.
// Registrations are
// tagged with a generation, so an event that belongs to a closed fd whose
// number was reused is dropped instead of being delivered to the newcomer.
//
// [Poller.Wait] rounds its timeout up to the backend's unit (milliseconds
// for epoll and IOCP), so a caller that waits for a deadline never wakes
// before it and spins. [Poller.Wake] is the only method that may be called
// from any goroutine; many Wake calls before the poller wakes cost one
// system call.
//
// The package knows nothing of timers, callbacks or tasks: package loop
// builds the event loop on top of it.
package reactor
