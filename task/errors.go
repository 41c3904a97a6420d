package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrCancelled: the operation was interrupted by cancellation. Errors
	// that match it also match context.Canceled.
	ErrCancelled = errors.New("cancelled")
	// ErrTimeout: a FailAfter/FailAt deadline passed. Errors that match it
	// also match context.DeadlineExceeded.
	ErrTimeout = errors.New("timed out")
	// ErrInterrupted: Run was interrupted by SIGINT.
	ErrInterrupted = errors.New("interrupted")
	// ErrDeadlock: every task was blocked and nothing could wake one.
	ErrDeadlock = errors.New("deadlock: every task is blocked and nothing can wake one")
	// ErrClosedResource: the resource was closed by this side.
	ErrClosedResource = errors.New("resource closed")
	// ErrBrokenResource: the other side is gone.
	ErrBrokenResource = errors.New("resource broken")
	// ErrBusyResource: another task is already using the resource.
	ErrBusyResource = errors.New("resource busy")
	// ErrEndOfChannel: every sender closed and the buffer is drained; it
	// matches io.EOF.
	ErrEndOfChannel error = endOfChannel{}
	// ErrWouldBlock: a Try operation could not complete at once.
	ErrWouldBlock = errors.New("would block")
	// ErrRunFinished: the Run a Token belongs to has ended.
	ErrRunFinished = errors.New("run finished")
)

// cancelError is what a blocking call returns in a cancelled scope. It
// records the scope that will catch it: the outermost cancelled scope seen
// from the call without crossing a shield (Trio's rule).
type cancelError struct {
	origin *Scope
	op     string
	// timeout is set when a FailAfter/FailAt scope caught this error: from
	// then on it is that scope's failure, matching ErrTimeout and
	// context.DeadlineExceeded, no longer a cancellation. Marking the error
	// in place keeps whatever the user wrapped around it.
	timeout bool
}

// Error says "timed out" from the start for a cancellation that a Fail
// scope's deadline caused (that scope will catch it): a message is fixed
// when the user wraps it with fmt.Errorf, before the scope catches it.
func (e *cancelError) Error() string {
	switch o := e.origin; {
	case o == nil:
		return fmt.Sprintf("%s: %s", e.op, ErrCancelled)
	case o.failsOnDeadline() && o.why == reasonDeadline:
		return fmt.Sprintf("%s: %s: %s", e.op, ErrTimeout, o.timeoutText())
	}
	return fmt.Sprintf("%s: %s: %s", e.op, ErrCancelled, e.origin.reasonText())
}

func (e *cancelError) Is(target error) bool {
	if e.timeout {
		return target == ErrTimeout || target == context.DeadlineExceeded
	}
	return target == ErrCancelled || target == context.Canceled
}

// Unwrap returns the cause of a cancellation that came from a context
// wrapped around a task ctx (see foreignLink), so errors.Is finds the
// wrapper's own cause (context.DeadlineExceeded, or WithCancelCause's).
func (e *cancelError) Unwrap() error {
	if !e.timeout && e.origin != nil && e.origin.link != nil {
		return e.origin.linkCause()
	}
	return nil
}

// asCancel finds the first cancellation in err's tree (Unwrap() error and
// Unwrap() []error), skipping those a Fail scope turned into timeouts.
func asCancel(err error) (*cancelError, bool) {
	for err != nil {
		switch e := err.(type) {
		case *cancelError:
			if !e.timeout {
				return e, true
			}
			return nil, false
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				if ce, ok := asCancel(x); ok {
					return ce, true
				}
			}
			return nil, false
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		default:
			return nil, false
		}
	}
	return nil, false
}

// foreignCancelError is what a blocking call returns when a context
// wrapped around its task ctx (context.WithTimeout and the like) is done:
// a cancellation, whose cause is the wrapper's.
type foreignCancelError struct {
	op    string
	cause error
}

func (e *foreignCancelError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.op, ErrCancelled, e.cause)
}

func (e *foreignCancelError) Is(target error) bool {
	return target == ErrCancelled || target == context.Canceled
}

func (e *foreignCancelError) Unwrap() error { return e.cause }

// endedError is what a blocking call returns when made with the ctx of a
// scope that has exited or a task that has ended: that ctx belongs to
// nothing any more. It matches context.Canceled, as the ctx's Err does.
type endedError struct {
	op    string
	scope *Scope
}

func (e *endedError) Error() string {
	what := "a scope that has exited"
	if o := e.scope.owner; o != nil && e.scope == o.root {
		what = fmt.Sprintf("task %q, which has ended", o.Name())
	}
	return fmt.Sprintf("%s: ctx of %s: %v (use the ctx of the scope the call is made in)", e.op, what, context.Canceled)
}

func (e *endedError) Is(target error) bool { return target == context.Canceled }

// PanicError is what a nursery re-panics with when a child panicked: the
// original value and the stack of the child where it happened.
type PanicError struct {
	Value any    // what the child panicked with
	Task  string // the child's name
	Stack []byte // the child's stack at the panic
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("task %q panicked: %v\n\n%s", p.Task, p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

func newPanicError(v any, name string) *PanicError {
	if pe, ok := v.(*PanicError); ok {
		return pe // already carries the original stack
	}
	return &PanicError{Value: v, Task: name, Stack: debug.Stack()}
}

type endOfChannel struct{}

func (endOfChannel) Error() string        { return "end of channel" }
func (endOfChannel) Is(target error) bool { return target == io.EOF }
