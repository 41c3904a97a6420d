//go:build darwin || freebsd

package streams

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// BSD sockets take their flags in two more calls; the fork lock keeps a
// concurrent exec from inheriting the fd in between, as package net does.

func socketNonblock(family, typ int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, typ, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return 0, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return 0, err
	}
	if typ == unix.SOCK_STREAM || typ == unix.SOCK_DGRAM {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
	}
	return fd, nil
}

func acceptNonblock(fd int) (int, unix.Sockaddr, error) {
	for {
		syscall.ForkLock.RLock()
		nfd, sa, err := unix.Accept(fd)
		if err == nil {
			unix.CloseOnExec(nfd)
		}
		syscall.ForkLock.RUnlock()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		if err := unix.SetNonblock(nfd, true); err != nil {
			unix.Close(nfd)
			return 0, nil, err
		}
		unix.SetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
		return nfd, sa, nil
	}
}
