//go:build !wasip1

package netsys

import "syscall"

// hostDown is apart because wasip1's syscall package has no EHOSTDOWN.
func hostDown(err error) bool { return Errno(err) == syscall.EHOSTDOWN }
