package loop

import (
	"fmt"

	"github.com/f04742a6/reactor"
)

// watch is the loop's record of a registered fd and its callbacks.
type watch struct {
	reader, writer *call
	reg            *Registration // set instead of reader and writer for a Register'd fd
}

// AddReader calls fn each time fd becomes readable (including hang-up and
// error, which a read reveals). Readiness is edge-triggered: fn must read
// until a read would block or comes up short, or it will not be called
// again for data that is already there. Spurious calls are possible (a
// read then fails with EAGAIN). Adding a second reader for one fd panics;
// an invalid fd gives an error naming it.
func (l *Loop) AddReader(fd uintptr, fn func()) error {
	return l.addWatch("AddReader", fd, fn, KindReader)
}

// AddWriter calls fn each time fd becomes writable; see AddReader. Remove
// the writer when there is nothing left to write.
func (l *Loop) AddWriter(fd uintptr, fn func()) error {
	return l.addWatch("AddWriter", fd, fn, KindWriter)
}

// RemoveReader stops calling fd's reader and reports whether there was
// one. It does not close fd; it may be called after fd was closed.
func (l *Loop) RemoveReader(fd uintptr) bool { return l.removeWatch("RemoveReader", fd, KindReader) }

// RemoveWriter stops calling fd's writer and reports whether there was one.
func (l *Loop) RemoveWriter(fd uintptr) bool { return l.removeWatch("RemoveWriter", fd, KindWriter) }

func (w *watch) slot(kind Kind) **call {
	if kind == KindReader {
		return &w.reader
	}
	return &w.writer
}

func (l *Loop) addWatch(op string, fd uintptr, fn func(), kind Kind) error {
	l.checkOwner(op)
	if fn == nil {
		panic(fmt.Sprintf("loop: %s fd %d: nil callback", op, fd))
	}
	if l.closed {
		return fmt.Errorf("loop: %s fd %d: %w", op, fd, ErrClosed)
	}
	w := l.fds[fd]
	fresh := w == nil
	if fresh {
		if err := l.poller.Register(fd); err != nil {
			return fmt.Errorf("loop: %s fd %d: %w", op, fd, err)
		}
		// The registration starts ready in both directions; a callback
		// waits for what the kernel reports (its first event tells the
		// fd's current state).
		l.poller.Consume(fd, reactor.Readable|reactor.Writable)
		w = &watch{}
		l.fds[fd] = w
	} else if w.reg != nil {
		return fmt.Errorf("loop: %s fd %d: %w (by Register)", op, fd, reactor.ErrRegistered)
	} else if *w.slot(kind) != nil {
		panic(fmt.Sprintf("loop: %s twice on fd %d; call Remove%s first", op, fd, op[3:]))
	}
	c := l.newCall(kind, fn)
	c.fd = fd
	*w.slot(kind) = c
	bit := readyBit(kind)
	ready := l.poller.Readiness(fd)&bit != 0
	if !ready && !fresh {
		// An earlier callback may have stopped before draining: ask the
		// kernel, since no new edge will come for data already there.
		r, err := l.poller.Probe(fd)
		if err != nil {
			l.removeWatch(op, fd, kind)
			return fmt.Errorf("loop: %s fd %d: %w", op, fd, err)
		}
		ready = r&bit != 0
	}
	if ready {
		l.enqueue(c)
	}
	return nil
}

func (l *Loop) removeWatch(op string, fd uintptr, kind Kind) bool {
	l.checkOwner(op)
	w := l.fds[fd]
	if w == nil || *w.slot(kind) == nil {
		return false
	}
	l.cancel(*w.slot(kind))
	*w.slot(kind) = nil
	if w.reader == nil && w.writer == nil {
		delete(l.fds, fd)
		l.poller.Unregister(fd) // a closed fd has left the poller already
	}
	return true
}
