//go:build !linux && !darwin && !freebsd

package task

import (
	"os"
	"os/signal"
	"syscall"
)

// reraise cannot send a signal to this process on this system: a signal
// pending when its receiver closes is dropped.
func reraise(os.Signal) {}

// raiseDefault ends the process as the default handler of a console
// control event would (exit status STATUS_CONTROL_C_EXIT on Windows): a
// process cannot raise a signal to itself here. It runs on any goroutine
// (the loop may be blocked).
func raiseDefault(sig os.Signal) {
	signal.Reset(sig)
	os.Exit(statusControlCExit)
}

// statusControlCExit is STATUS_CONTROL_C_EXIT, 0xC000013A, as the int32
// Windows reads an exit code as (a constant above MaxInt32 would not fit
// os.Exit's int on 32-bit systems).
const statusControlCExit = -1073741510

// signalNames names the signals a program commonly catches (read-only).
var signalNames = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM"}
