// Package sock has the few raw, non-blocking socket calls that tests,
// benchmarks and demos of the callback layer need, on every platform the
// reactor supports: a connected pair, a TCP listener, accept, dial, read,
// write, shutdown and close. It is not a stream API (that is package
// streams); it exists so callback-level code can be shown and measured
// without the net package's own poller in the way.
package sock

import "errors"

// ErrWouldBlock is returned (wrapped) when a non-blocking call would block.
var ErrWouldBlock = errors.New("operation would block")
