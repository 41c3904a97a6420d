//go:build linux || darwin || freebsd

package task

import (
	"os"
	"os/signal"
	"syscall"
)

// reraise sends sig to this process again, for whoever handles it next.
func reraise(sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(syscall.Getpid(), s)
	}
}

// raiseDefault ends the process by sig, from any goroutine (the loop may
// be blocked). It stops every os/signal delivery of sig, which puts back
// the Go runtime's default handling (never "ignore": Run does not catch a
// signal that was ignored when it started), and raises sig again: for
// SIGHUP, SIGINT and SIGTERM the runtime then restores the default
// disposition and re-raises it, so the process dies by the signal and its
// exit status says so; for SIGQUIT and SIGABRT it exits with a goroutine
// dump. For a signal whose Go default is to carry on (SIGUSR1, SIGWINCH,
// ...), it exits with status 128+n, what a shell reports for death by
// signal n.
func raiseDefault(sig os.Signal) {
	signal.Reset(sig)
	s, ok := sig.(syscall.Signal)
	if !ok {
		os.Exit(2)
	}
	syscall.Kill(syscall.Getpid(), s)
	switch s {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGABRT:
		// The runtime ends the process as the signal is delivered.
	default:
		os.Exit(128 + int(s))
	}
}

// signalNames names the signals a program commonly catches (read-only).
var signalNames = map[os.Signal]string{
	syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP",
	syscall.SIGQUIT: "SIGQUIT", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2",
}
