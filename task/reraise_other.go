//go:build !linux && !darwin && !freebsd

package task

import "os"

// reraise cannot send a signal to this process on this system: a signal
// pending when its receiver closes is dropped.
func reraise(os.Signal) {}
