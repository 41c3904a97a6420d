package netsys

import "golang.org/x/sys/unix"

// Linux takes a socket's flags in the call that makes it: no window in
// which a concurrent exec could inherit the fd.

func socketNonblock(family, typ int) (int, error) {
	return unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func socketpairNonblock() ([2]int, error) {
	return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func acceptNonblock(fd int) (int, unix.Sockaddr, error) {
	for {
		nfd, sa, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		return nfd, sa, err
	}
}
