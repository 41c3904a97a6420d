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
