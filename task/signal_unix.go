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

// platformSignalName names the other signals a program commonly catches.
func platformSignalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	}
	return ""
}
