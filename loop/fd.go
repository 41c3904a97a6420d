package loop

import (
	"fmt"

	"github.com/f04742a6/reactor"
)

// watch is what AddReader and AddWriter keep on the Registration they
// make for an fd: its callbacks. Invariant: reader and writer are the
// installed callbacks (nil: none); the registration awaits exactly their
// directions, and is closed once both are nil.
type watch struct {
	l              *Loop
	reader, writer *call
}

// AddReader calls fn each time fd becomes readable (including hang-up and
// error, which a read reveals). Readiness is edge-triggered: fn must read
// until a read would block or comes up short, or it will not be called
// again for data that is already there. Spurious calls are possible (a
// read then fails with EAGAIN). Adding a second reader for one fd panics;
// an invalid fd gives an error naming it. fd is registered (Register)
// while it has a reader or a writer.
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

// awaited is the directions that have a callback.
func (w *watch) awaited() reactor.Ready {
	var r reactor.Ready
	if w.reader != nil {
		r |= reactor.Readable
	}
	if w.writer != nil {
		r |= reactor.Writable
	}
	return r
}

// notify is the registration's event function: it queues the callbacks
// whose direction the event made ready (once per edge).
func (w *watch) notify(r reactor.Ready) {
	if r&reactor.Readable != 0 && w.reader != nil && !w.reader.queued {
		w.l.enqueue(w.reader)
	}
	if r&reactor.Writable != 0 && w.writer != nil && !w.writer.queued {
		w.l.enqueue(w.writer)
	}
}

func (l *Loop) addWatch(op string, fd uintptr, fn func(), kind Kind) error {
	l.checkOwner(op)
	if fn == nil {
		panic(fmt.Sprintf("loop: %s fd %d: nil callback", op, fd))
	}
	g := l.fds[fd]
	fresh := g == nil || g.watch == nil // nil watch: Register's, refused by register
	if fresh {
		w := &watch{l: l}
		var err error
		if g, err = l.register(op, fd, w.notify); err != nil {
			return err
		}
		g.watch = w
		// The registration starts ready in both directions; a callback
		// waits for what the kernel reports (its first event tells the
		// fd's current state).
		g.Consume(reactor.Readable | reactor.Writable)
	} else if *g.watch.slot(kind) != nil {
		panic(fmt.Sprintf("loop: %s twice on fd %d; call Remove%s first", op, fd, op[3:]))
	}
	c := l.newCall(kind, fn)
	c.fd = fd
	*g.watch.slot(kind) = c
	g.SetAwaited(g.watch.awaited())
	bit := readyBit(kind)
	ready := g.Ready()&bit != 0
	if !ready && !fresh {
		// An earlier callback may have stopped before draining: ask the
		// kernel, since no new edge will come for data already there.
		r, err := g.Probe()
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
	g := l.fds[fd]
	if g == nil || g.watch == nil || *g.watch.slot(kind) == nil {
		return false
	}
	l.cancel(*g.watch.slot(kind))
	*g.watch.slot(kind) = nil
	if r := g.watch.awaited(); r != 0 {
		g.SetAwaited(r)
	} else {
		g.Close()
	}
	return true
}
