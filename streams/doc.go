// Package streams is the byte-stream layer on top of package task: TCP
// and Unix socket streams, listeners and Serve, DialTCP with happy
// eyeballs, TLS, a bounded buffered reader and writer (NewBufferedReader,
// NewBufferedWriter), in-memory stream pairs (MemoryPair) and UDP
// sockets. It is what a protocol server or client is written with.
//
// Every operation takes the calling task's ctx and is a checkpoint; none
// needs a goroutine of its own. A socket is registered with the loop once,
// when it is made, and readiness is kept on the registration: a Read or
// Write that can complete at once is one system call, and a hung-up peer
// is never waited for twice.
//
// # Checkpoints
//
// An operation with a ctx checks for cancellation before anything else
// (busy, closed, data at hand), so in a cancelled scope it fails with an
// error matching task.ErrCancelled even when it could complete. One that
// completes without waiting (with data, with io.EOF or with an error)
// spends the task's fairness budget (task.Progress): a task yields at
// least once every 64 of them, so a peer that keeps a buffer full cannot
// starve the loop. One that waited has yielded already. Operation by
// operation (cancellation checked / budget spent when done at once):
//
//   - BufferedReader Read, ReadLine, ReadUntil, ReadExactly: yes / yes,
//     also when the buffer alone serves the call (one that reads the
//     stream has the stream's checkpoint instead).
//   - BufferedWriter Write, Flush: yes / yes, also when the buffer takes
//     the bytes without a write to the stream.
//   - MemoryStream Read, Write, CloseWrite: yes / yes, also at EOF and on
//     a closed or broken end.
//   - MemoryListener Dial, Accept: yes / yes, also for a queued
//     connection.
//   - TLSStream Read: yes / yes, also for plaintext crypto/tls holds
//     already (no transport read), at EOF and on errors. Write and
//     CloseWrite: yes / through the transport's Write.
//   - SocketStream Read and Write: yes / yes when data moves at once, at
//     EOF, and on a closed or failed stream; SocketListener Accept: yes /
//     yes.
//   - DatagramSocket ReadFrom and WriteTo: yes / yes when a datagram moves
//     at once (a queue of datagrams cannot keep the loop).
//   - Conn Read and Write: the stream's checkpoint; past the deadline,
//     yes / yes.
//   - Serve: Accept's, and each handler's own.
//   - task channels (Send, Receive, ReceiveLease): yes / yes, also on a
//     closed end or at the end of the channel; the Try* methods and Close
//     are not checkpoints.
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
// A stream, listener or datagram socket belongs to the Run whose task made
// it. Using it from a task of another Run, or of a later Run, panics and
// says what to do instead: open it inside that Run, or pass data between
// Runs with a Token. Close is allowed from anywhere, also after the Run
// returned. Whatever is still open when its Run returns is closed then,
// and reported once through the Run's logger with its addresses and the
// task that made it; close it before, as you would close a file.
//
// # Writing servers and clients
//
// Write protocol code against Stream, Listener and a dial function, not
// *SocketStream: MemoryPair is then the test double, and Serve takes any
// Listener. Read requests through NewBufferedReader, bounded, and write
// replies through NewBufferedWriter, bounded too, flushed before the next
// read that may wait: the replies to a pipeline that arrived in one read
// go out in one write (see BufferedWriter).
package streams
