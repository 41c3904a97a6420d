//go:build !linux && !darwin && !freebsd

package task

import (
	"os"
	"syscall"
)

// reraise cannot send a signal to this process on this system: a signal
// pending when its receiver closes is dropped.
func reraise(os.Signal) {}

// raiseDefault ends the process as the default handler of a console
// control event would (exit status STATUS_CONTROL_C_EXIT on Windows): a
// process cannot raise a signal to itself here.
func raiseDefault(os.Signal) { os.Exit(0xC000013A) }

// signalNames names the signals a program commonly catches (read-only).
var signalNames = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM"}
