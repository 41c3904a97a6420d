package streams_test

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var procSend = windows.NewLazySystemDLL("ws2_32.dll").NewProc("send")

// fill writes to a non-blocking socket until Winsock would block.
func fill(fd uintptr) {
	windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_SNDBUF, 4096)
	junk := make([]byte, 64<<10)
	for {
		r, _, _ := procSend.Call(fd, uintptr(unsafe.Pointer(&junk[0])), uintptr(len(junk)), 0)
		if int32(r) == -1 {
			return
		}
	}
}
