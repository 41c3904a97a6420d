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
}

func (e *cancelError) Error() string {
	if e.origin == nil {
		return fmt.Sprintf("%s: %s", e.op, ErrCancelled)
	}
	return fmt.Sprintf("%s: %s: %s", e.op, ErrCancelled, e.origin.reasonText())
}

func (e *cancelError) Is(target error) bool {
	return target == ErrCancelled || target == context.Canceled
}

// timeoutError is what FailAfter/FailAt return when their deadline fired.
type timeoutError struct{ deadline string }

func (e *timeoutError) Error() string {
	return "task: " + ErrTimeout.Error() + " at deadline " + e.deadline
}
func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

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
