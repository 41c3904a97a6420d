// Package sock has the few blocking-free socket helpers that tests,
// benchmarks and demos of the callback layer need: a connected pair, a
// loopback TCP listener, accept, dial, read, write, shutdown and close,
// on raw non-blocking sockets. It is not a socket layer of its own: every
// call goes to netsys.OS (the one socket layer, which streams uses too);
// this package only adds the conveniences (a loopback dial that returns
// once connected, errors that name the call and the fd, EAGAIN as
// ErrWouldBlock). It is not a stream API either (that is package
// streams); it exists so callback-level code can be shown and measured
// without the net package's own poller in the way.
package sock
