// Package streams is the byte-stream layer on top of package task: TCP
// and Unix socket streams, listeners and Serve, DialTCP with happy
// eyeballs, TLS, a bounded buffered reader, in-memory stream pairs and
// UDP sockets. It is what a protocol server or client is written with.
//
// Every operation takes the calling task's ctx and is a checkpoint; none
// needs a goroutine of its own. A socket is registered with the loop once,
// when it is made, and readiness is kept on the registration: a Read or
// Write that can complete at once is one system call, and a hung-up peer
// is never waited for twice.
//
// # One reader, one writer
//
// A Stream may be read by one task and written by another at the same
// time. A second task reading (or writing; CloseWrite counts as writing)
// fails at once with an error matching task.ErrBusyResource; nothing is
// corrupted.
//
// # Errors
//
// Errors name the operation and the peer, and wrap a task sentinel and
// the cause: a reset peer matches both task.ErrBrokenResource and
// syscall.ECONNRESET. Use errors.Is. Nothing panics on a peer's
// misbehaviour, nothing spins on a hung-up fd, and nothing buffers
// without bound: backpressure is the writer task waiting.
//
// # Closing
//
// Close is idempotent, always releases the stream's resources, and is safe
// from any goroutine: a task blocked on the stream is woken with an error
// matching task.ErrClosedResource. Called from a task of the stream's loop
// it takes effect before it returns; from another goroutine, at the
// loop's next turn.
//
// # Writing servers and clients
//
// Write protocol code against Stream, Listener and a dial function, not
// *SocketStream: MemoryPair is then the test double, and Serve takes any
// Listener.
package streams
