//go:build unix

package main

import (
	"os"
	"syscall"
)

// openFlags opens a served file without waiting on it: with O_NONBLOCK,
// open(2) of a FIFO returns at once instead of waiting for a writer, and
// of a device without waiting for a carrier (O_NOCTTY: and a terminal
// does not become ours). The file server refuses both once it has
// looked (fstat); a regular file reads as usual.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
