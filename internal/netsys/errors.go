package netsys

import (
	"errors"
	"runtime"
	"syscall"
)

// The error vocabulary. Every implementation reports in the same
// syscall.Errno values, so that the callers' rules (streams: a reset is
// task.ErrBrokenResource and matches syscall.ECONNRESET; Accept retries
// ECONNABORTED and backs off on EMFILE) hold whatever is underneath:
//
//   - EAGAIN: the call would block (wait for readiness, then retry).
//   - EINPROGRESS: Connect goes on in the background.
//   - ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH,
//     ENETUNREACH, EADDRINUSE, ...: what happened, as on Linux.
//   - EBADF, ENOTSOCK: the handle is not a socket (any more).
//
// The Unix implementation's errors are those values already. Windows
// reports Winsock's own numbers; its implementation returns EAGAIN and
// EINPROGRESS bare and wraps the others it knows with the portable value
// (the message stays Winsock's, errors.Is finds both). A simulated
// network returns the values themselves.

// WouldBlock reports whether err says the call would block.
func WouldBlock(err error) bool { return err == syscall.EAGAIN }

// InProgress reports whether Connect's err says the connection goes on
// in the background.
func InProgress(err error) bool { return err == syscall.EINPROGRESS }

// AcceptTransient reports whether an Accept failure concerns only the
// connection it was about to take (aborted or reset before it was
// accepted, a network blip): the listener retries at once.
func AcceptTransient(err error) bool {
	switch Errno(err) {
	case syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO, syscall.EINTR,
		syscall.EPERM, syscall.ENETDOWN, syscall.ENOPROTOOPT, syscall.EHOSTUNREACH,
		syscall.EOPNOTSUPP, syscall.ENETUNREACH:
		return true
	}
	return hostDown(err)
}

// AcceptExhausted reports whether an Accept failure is a shortage of
// descriptors or memory: the listener backs off and tries again later.
func AcceptExhausted(err error) bool {
	switch Errno(err) {
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
		return true
	}
	return false
}

// ClosedUnderfoot reports whether err says the handle is not a socket
// (any more): it was closed behind its owner's back.
func ClosedUnderfoot(err error) bool {
	switch Errno(err) {
	case syscall.EBADF, syscall.ENOTSOCK:
		return true
	}
	return false
}

// Errno returns the portable errno err is or wraps, or 0.
func Errno(err error) syscall.Errno {
	switch e := err.(type) {
	case nil:
		return 0
	case syscall.Errno:
		return e
	case *mappedError:
		return e.portable
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}

// mappedError is a system's own error that means a portable errno:
// errors.Is finds both, Errno returns the portable one.
type mappedError struct {
	portable syscall.Errno
	sys      error
}

func (e *mappedError) Error() string { return e.sys.Error() }

// Unwrap lists the portable errno first, so that errors.As to a
// syscall.Errno finds it rather than the system's number.
func (e *mappedError) Unwrap() []error { return []error{e.portable, e.sys} }

// UnsupportedError is what a system without a socket layer here reports,
// or an option a system does not have. It matches errors.ErrUnsupported.
type UnsupportedError struct {
	Op string // the operation: "socket", "SO_REUSEPORT", "a Unix socket"
}

func (e *UnsupportedError) Error() string {
	return e.Op + " is not supported on " + runtime.GOOS + "/" + runtime.GOARCH
}

func (e *UnsupportedError) Unwrap() error { return errors.ErrUnsupported }

func unsupported(op string) error { return &UnsupportedError{Op: op} }
