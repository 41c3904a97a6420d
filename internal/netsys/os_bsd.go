//go:build darwin || freebsd

package netsys

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// BSD sockets take their flags in two more calls; the fork lock keeps a
// concurrent exec from inheriting the fd in between, as package net does.
// SO_NOSIGPIPE makes a write to a gone peer fail with EPIPE instead of
// killing the process (Linux: the runtime ignores SIGPIPE on sockets).

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
	if err := setupBSD(fd); err != nil {
		unix.Close(fd)
		return 0, err
	}
	return fd, nil
}

func socketpairNonblock() ([2]int, error) {
	syscall.ForkLock.RLock()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return fds, err
	}
	for _, fd := range fds {
		if err := setupBSD(fd); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return fds, err
		}
	}
	return fds, nil
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
		if err := setupBSD(nfd); err != nil {
			unix.Close(nfd)
			return 0, nil, err
		}
		return nfd, sa, nil
	}
}

// setupBSD makes fd non-blocking and, for a stream or datagram socket,
// quiet on a write to a gone peer.
func setupBSD(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1) // best effort, as before: a listener does not need it
	return nil
}
