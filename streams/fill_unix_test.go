//go:build linux || darwin || freebsd

package streams_test

import "golang.org/x/sys/unix"

// fill writes to a non-blocking socket until the kernel would block.
func fill(fd uintptr) {
	unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	junk := make([]byte, 64<<10)
	for {
		if _, err := unix.Write(int(fd), junk); err != nil {
			return
		}
	}
}
