//go:build linux || darwin || freebsd

package task

import (
	"os"
	"syscall"
)

// reraise sends sig to this process again, for whoever handles it next.
func reraise(sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(syscall.Getpid(), s)
	}
}

// raiseDefault raises sig with its default disposition restored (the
// caller did signal.Reset): for SIGINT and SIGTERM the process ends, by
// that signal, as a shell expects.
func raiseDefault(sig os.Signal) { reraise(sig) }

// signalNames names the signals a program commonly catches (read-only).
var signalNames = map[os.Signal]string{
	syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP",
	syscall.SIGQUIT: "SIGQUIT", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2",
}
