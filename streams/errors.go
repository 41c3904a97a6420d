package streams

import (
	"errors"
	"fmt"
	"net"

	"github.com/f04742a6/reactor/internal/netsys"
	"github.com/f04742a6/reactor/task"
)

// opError is how every stream error reads: "streams: read tcp
// 127.0.0.1:80: broken resource: connection reset by peer". It names the
// operation and the peer, and wraps both the task sentinel (errors.Is(err,
// task.ErrBrokenResource)) and the cause (errors.Is(err, syscall.ECONNRESET)).
func opError(op string, addr net.Addr, kind, cause error) error {
	where := ""
	if addr != nil {
		where = " " + addr.Network() + " " + addr.String()
	}
	switch {
	case kind == nil:
		return fmt.Errorf("streams: %s%s: %w", op, where, cause)
	case cause == nil:
		return fmt.Errorf("streams: %s%s: %w", op, where, kind)
	default:
		return fmt.Errorf("streams: %s%s: %w: %w", op, where, kind, cause)
	}
}

func busyError(op string, addr net.Addr, who string) error {
	return opError(op, addr, task.ErrBusyResource, fmt.Errorf("another task is %s", who))
}

func closedError(op string, addr net.Addr) error {
	return opError(op, addr, task.ErrClosedResource, nil)
}

// errAfterCloseWrite is the cause a Write after CloseWrite reports.
var errAfterCloseWrite = errors.New("the stream was closed for writing (CloseWrite)")

// errPeerClosed is the cause of a memory stream's broken write.
var errPeerClosed = errors.New("the other end was closed")

// errPeerClosedErr is what a writer parked when the other end closes gets.
var errPeerClosedErr = opError("write", nil, task.ErrBrokenResource, errPeerClosed)

// failureKind classifies a failed read or write: a descriptor that is not
// (or no longer) a socket means the stream was closed underfoot
// (ErrClosedResource); any other failure breaks it (ErrBrokenResource).
func failureKind(err error) error {
	if netsys.ClosedUnderfoot(err) {
		return task.ErrClosedResource
	}
	return task.ErrBrokenResource
}
