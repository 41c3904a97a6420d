package reactor

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// iocp is the Windows backend: an I/O completion port, with socket
// readiness from the AFD driver. An IOCTL_AFD_POLL request on a socket's
// base handle completes through the port when any polled condition holds,
// once, like a oneshot registration. The poller keeps one request pending
// per socket for the conditions not yet known to hold, and re-arms after
// each completion and after each Consume, which is how the edge-triggered
// contract of the other backends is kept (the technique of wepoll and mio).
type iocp struct {
	port    windows.Handle
	afd     windows.Handle // \Device\Afd, associated with port
	wake    wakeState
	regs    map[uintptr]*winReg
	pending map[*pollOp]struct{} // requests the kernel may still write to
	free    []*pollOp            // completed requests, for reuse: arming allocates nothing
	removed uint32               // dequeue's count, a field so that waiting allocates nothing
	entries []overlappedEntry
	closed  bool
}

// winReg is one registered socket. A pointer to it identifies the
// registration: a request that completes after its socket was
// unregistered (and the handle value perhaps reused) finds its winReg
// marked deleted and is dropped.
type winReg struct {
	fd    uintptr
	base  windows.Handle // the base provider's handle, which AFD needs
	ready Ready          // the one record of the socket's readiness (see Poller.Readiness)
	// seen is what AFD has reported since the last Consume of those bits:
	// the conditions no longer watched. It differs from ready at the start,
	// where ready holds both directions on trust and AFD is asked anyway.
	seen    Ready
	op      *pollOp // the pending request, if any
	hupSeen bool    // disconnect reported once: never poll for it again
	closed  bool    // the socket was closed under us
	deleted bool
}

// pollOp is one IOCTL_AFD_POLL request. Its address is the ApcContext,
// which the port hands back as the completion's OVERLAPPED pointer.
type pollOp struct {
	iosb      windows.IO_STATUS_BLOCK
	info      afdPollInfo
	reg       *winReg
	mask      uint32
	cancelled bool
}

type afdPollHandleInfo struct {
	Handle windows.Handle
	Events uint32
	Status windows.NTStatus
}

type afdPollInfo struct {
	Timeout         int64
	NumberOfHandles uint32
	Exclusive       uint32
	Handles         [1]afdPollHandleInfo
}

// overlappedEntry is OVERLAPPED_ENTRY. Every request we issue has a
// *pollOp as its context, and the wake packet a nil one, so the field can
// be typed and the garbage collector sees a real pointer.
type overlappedEntry struct {
	Key        uintptr
	Overlapped *pollOp
	Internal   uintptr
	Bytes      uint32
	_          uint32
}

const (
	afdPollReceive     = 0x0001
	afdPollSend        = 0x0004
	afdPollDisconnect  = 0x0008
	afdPollAbort       = 0x0010
	afdPollLocalClose  = 0x0020
	afdPollAccept      = 0x0080
	afdPollConnectFail = 0x0100

	ioctlAfdPoll  = 0x00012024
	sioBaseHandle = 0x48000022
	wakeKey       = 1
)

var (
	ntdll                           = windows.NewLazySystemDLL("ntdll.dll")
	kernel32                        = windows.NewLazySystemDLL("kernel32.dll")
	ws2                             = windows.NewLazySystemDLL("ws2_32.dll")
	procNtDeviceIoControlFile       = ntdll.NewProc("NtDeviceIoControlFile")
	procNtCancelIoFileEx            = ntdll.NewProc("NtCancelIoFileEx")
	procGetQueuedCompletionStatusEx = kernel32.NewProc("GetQueuedCompletionStatusEx")
	procWSAPoll                     = ws2.NewProc("WSAPoll")
)

// New returns the poller for this operating system.
func New() (Poller, error) {
	port, err := windows.CreateIoCompletionPort(windows.InvalidHandle, 0, 0, 0)
	if err != nil {
		return nil, opError("CreateIoCompletionPort", 0, err)
	}
	afd, err := openAfd(port)
	if err != nil {
		windows.CloseHandle(port)
		return nil, err
	}
	return &iocp{
		port:    port,
		afd:     afd,
		regs:    make(map[uintptr]*winReg),
		pending: make(map[*pollOp]struct{}),
		entries: make([]overlappedEntry, 128),
	}, nil
}

func openAfd(port windows.Handle) (windows.Handle, error) {
	name, err := windows.NewNTUnicodeString(`\Device\Afd\Reactor`)
	if err != nil {
		return 0, opError("open AFD", 0, err)
	}
	oa := windows.OBJECT_ATTRIBUTES{ObjectName: name}
	oa.Length = uint32(unsafe.Sizeof(oa))
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	if err := windows.NtCreateFile(&h, windows.SYNCHRONIZE, &oa, &iosb, nil, 0,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, windows.FILE_OPEN, 0, 0, 0); err != nil {
		return 0, opError(`open \Device\Afd`, 0, err)
	}
	if _, err := windows.CreateIoCompletionPort(h, port, 0, 0); err != nil {
		windows.CloseHandle(h)
		return 0, opError("associate AFD with port", 0, err)
	}
	if err := windows.SetFileCompletionNotificationModes(h, windows.FILE_SKIP_SET_EVENT_ON_HANDLE); err != nil {
		windows.CloseHandle(h)
		return 0, opError("SetFileCompletionNotificationModes", 0, err)
	}
	return h, nil
}

func baseHandle(fd uintptr) (windows.Handle, error) {
	var base windows.Handle
	var n uint32
	err := windows.WSAIoctl(windows.Handle(fd), sioBaseHandle, nil, 0,
		(*byte)(unsafe.Pointer(&base)), uint32(unsafe.Sizeof(base)), &n, nil, 0)
	if err != nil {
		return 0, err
	}
	return base, nil
}

func (p *iocp) Register(fd uintptr) error {
	if p.closed {
		return opError("register", fd, ErrClosed)
	}
	if p.regs[fd] != nil {
		return opError("register", fd, ErrRegistered)
	}
	base, err := baseHandle(fd)
	if err != nil {
		return opError("register", fd, err)
	}
	// Readiness starts as Poller.Register says, both directions to be
	// tried; AFD is asked for every condition at once all the same (seen
	// is empty), as epoll and kqueue report a new registration's state:
	// the request is also what finds a socket that is closed or not a
	// socket (the base handle lookup does not, under Wine).
	reg := &winReg{fd: fd, base: base, ready: Readable | Writable}
	if err := p.arm(reg); err != nil {
		return opError("register", fd, err)
	}
	p.regs[fd] = reg
	return nil
}

func (p *iocp) Unregister(fd uintptr) error {
	if p.closed {
		return opError("unregister", fd, ErrClosed)
	}
	reg := p.regs[fd]
	if reg == nil {
		return opError("unregister", fd, ErrNotRegistered)
	}
	delete(p.regs, fd)
	reg.deleted = true
	p.cancel(reg)
	return nil
}

func (p *iocp) Readiness(fd uintptr) Ready {
	if reg := p.regs[fd]; reg != nil {
		return reg.ready
	}
	return 0
}

// Consume clears bits and re-arms the AFD request so that the conditions
// are watched again.
func (p *iocp) Consume(fd uintptr, r Ready) {
	reg := p.regs[fd]
	if reg == nil || reg.ready&r == 0 {
		return
	}
	reg.ready &^= r
	reg.seen &^= r
	p.arm(reg)
}

// mask is what the registration still needs to hear about.
func (reg *winReg) mask() uint32 {
	var m uint32
	if reg.seen&Readable == 0 {
		m |= afdPollReceive | afdPollAccept
	}
	if reg.seen&Writable == 0 {
		m |= afdPollSend
	}
	if m != 0 && !reg.hupSeen {
		m |= afdPollDisconnect | afdPollAbort | afdPollConnectFail
	}
	if m != 0 {
		m |= afdPollLocalClose
	}
	return m
}

// arm makes sure a request for exactly reg's mask is pending. A pending
// request for another mask is cancelled; its completion re-arms.
func (p *iocp) arm(reg *winReg) error {
	if reg.closed || reg.deleted {
		return nil
	}
	mask := reg.mask()
	if op := reg.op; op != nil {
		if op.mask != mask && !op.cancelled {
			p.cancel(reg)
		}
		return nil
	}
	if mask == 0 {
		return nil
	}
	var op *pollOp
	if n := len(p.free); n > 0 {
		op, p.free = p.free[n-1], p.free[:n-1]
	} else {
		op = new(pollOp)
	}
	*op = pollOp{reg: reg, mask: mask}
	op.info = afdPollInfo{Timeout: math.MaxInt64, NumberOfHandles: 1}
	op.info.Handles[0] = afdPollHandleInfo{Handle: reg.base, Events: mask}
	op.iosb.Status = windows.STATUS_PENDING
	// SyscallN, not LazyProc.Call, which boxes its error on every call.
	r, _, _ := syscall.SyscallN(procNtDeviceIoControlFile.Addr(), uintptr(p.afd), 0, 0,
		uintptr(unsafe.Pointer(op)), uintptr(unsafe.Pointer(&op.iosb)), ioctlAfdPoll,
		uintptr(unsafe.Pointer(&op.info)), unsafe.Sizeof(op.info),
		uintptr(unsafe.Pointer(&op.info)), unsafe.Sizeof(op.info))
	status := windows.NTStatus(r)
	// Pending or done at once, the completion comes through the port.
	if status != windows.STATUS_PENDING && status != windows.STATUS_SUCCESS {
		p.free = append(p.free, op)
		return fmt.Errorf("IOCTL_AFD_POLL: %w", status)
	}
	reg.op = op
	p.pending[op] = struct{}{}
	return nil
}

func (p *iocp) cancel(reg *winReg) {
	op := reg.op
	if op == nil || op.cancelled {
		return
	}
	op.cancelled = true
	var iosb windows.IO_STATUS_BLOCK
	procNtCancelIoFileEx.Call(uintptr(p.afd), uintptr(unsafe.Pointer(&op.iosb)), uintptr(unsafe.Pointer(&iosb)))
}

func afdReady(ev uint32) Ready {
	var r Ready
	if ev&(afdPollReceive|afdPollAccept) != 0 {
		r |= Readable
	}
	if ev&afdPollSend != 0 {
		r |= Writable
	}
	if ev&afdPollDisconnect != 0 {
		r |= Readable | HangUp
	}
	if ev&(afdPollAbort|afdPollConnectFail) != 0 {
		r |= Readable | Writable | Error
	}
	if ev&afdPollAbort != 0 {
		r |= HangUp
	}
	return r
}

func (p *iocp) Probe(fd uintptr) (Ready, error) {
	type wsaPollFd struct {
		fd      uintptr
		events  int16
		revents int16
	}
	const (
		pollRdNorm = 0x0100
		pollWrNorm = 0x0010
		pollErr    = 0x0001
		pollHup    = 0x0002
		pollNval   = 0x0004
	)
	pfd := wsaPollFd{fd: fd, events: pollRdNorm | pollWrNorm}
	r, _, err := procWSAPoll.Call(uintptr(unsafe.Pointer(&pfd)), 1, 0)
	if int32(r) < 0 {
		return 0, opError("probe", fd, err)
	}
	if pfd.revents&pollNval != 0 {
		return 0, opError("probe", fd, windows.WSAENOTSOCK)
	}
	var ready Ready
	if pfd.revents&(pollRdNorm|pollHup|pollErr) != 0 {
		ready |= Readable
	}
	if pfd.revents&(pollWrNorm|pollErr) != 0 {
		ready |= Writable
	}
	if pfd.revents&pollHup != 0 {
		ready |= HangUp
	}
	if pfd.revents&pollErr != 0 {
		ready |= Error
	}
	return ready, nil
}

func (p *iocp) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(p.entries) < len(events) {
		p.entries = make([]overlappedEntry, len(events))
	}
	// Windows may end a wait up to a clock tick early; wait out the rest so
	// a caller never wakes before its deadline.
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		n, err := p.dequeue(len(events), timeout)
		if err != nil {
			return 0, err
		}
		if n > 0 || timeout <= 0 {
			return p.complete(events, n), nil
		}
		if timeout = time.Until(deadline); timeout <= 0 {
			return 0, nil
		}
	}
}

// dequeue waits for up to max completions; 0 means the wait timed out.
func (p *iocp) dequeue(max int, timeout time.Duration) (int, error) {
	ms := uint32(windows.INFINITE)
	if timeout >= 0 {
		ms = uint32(min(roundUp(timeout, time.Millisecond), windows.INFINITE-1))
	}
	// SyscallN and a field for the count: LazyProc.Call would box its
	// error, and a local whose address it takes would escape, on every
	// wait (two allocations per poll).
	r, _, errno := syscall.SyscallN(procGetQueuedCompletionStatusEx.Addr(), uintptr(p.port),
		uintptr(unsafe.Pointer(&p.entries[0])), uintptr(max),
		uintptr(unsafe.Pointer(&p.removed)), uintptr(ms), 0)
	if r == 0 {
		if errno == windows.WAIT_TIMEOUT {
			return 0, nil
		}
		return 0, opError("GetQueuedCompletionStatusEx", uintptr(p.port), errno)
	}
	return int(p.removed), nil
}

// complete turns completions into events and re-arms their sockets.
func (p *iocp) complete(events []Event, n int) int {
	out := 0
	for i := range n {
		e := &p.entries[i]
		if e.Key == wakeKey {
			p.wake.reset()
			continue
		}
		op := e.Overlapped
		e.Overlapped = nil
		delete(p.pending, op)
		reg, status, handles, ev := op.reg, op.iosb.Status, op.info.NumberOfHandles, op.info.Handles[0].Events
		if reg.op == op {
			reg.op = nil
		}
		*op = pollOp{}
		p.free = append(p.free, op) // the kernel is done with it
		if reg.deleted {
			continue // a stale request of an unregistered socket
		}
		var r Ready
		switch {
		case status == windows.STATUS_CANCELLED:
		case status != windows.STATUS_SUCCESS:
			r = Readable | Writable | Error
		case handles > 0:
			if ev&afdPollLocalClose != 0 {
				reg.closed = true // closed without Unregister: stop polling it
				continue
			}
			r = afdReady(ev)
		}
		if r&HangUp != 0 {
			reg.hupSeen = true
		}
		// Reported even when the bits were set already: a registration
		// starts with both, and its first completion is the kernel's word
		// on the socket's state, as epoll's and kqueue's first event is.
		reg.ready |= r
		reg.seen |= r
		p.arm(reg)
		if r != 0 {
			events[out] = Event{FD: reg.fd, Ready: r}
			out++
		}
	}
	return out
}

func (p *iocp) Wake() error {
	return p.wake.wake(func() error {
		if err := windows.PostQueuedCompletionStatus(p.port, 0, wakeKey, nil); err != nil {
			return opError("wake", uintptr(p.port), err)
		}
		return nil
	})
}

// Close cancels every request and waits for the kernel to finish with
// them, since it writes into their memory until their completion.
func (p *iocp) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.wake.close()
	for _, reg := range p.regs {
		reg.deleted = true
		p.cancel(reg)
	}
	clear(p.regs)
	for tries := 0; len(p.pending) > 0 && tries < 100; tries++ {
		n, err := p.dequeue(len(p.entries), 100*time.Millisecond)
		if err != nil {
			break
		}
		for i := range n {
			if op := p.entries[i].Overlapped; op != nil {
				delete(p.pending, op)
			}
			p.entries[i].Overlapped = nil
		}
	}
	return errors.Join(windows.CloseHandle(p.afd), windows.CloseHandle(p.port))
}
