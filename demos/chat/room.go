package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The room's defaults (flags -queue, -stall).
const (
	// defaultQueue is how many lines wait for one member, at most.
	defaultQueue = 64
	// defaultStall is how long a member's queue may stay full, its writer
	// taking nothing from it, before the member is disconnected.
	defaultStall = 10 * time.Second
	// turnLines is a member's share of the room per turn: its reader
	// passes on at most this many lines, as one message, then lets every
	// other task run.
	turnLines = 16
)

// room is one chat room: every line a member sends goes to every other
// member. Its fields belong to the loop (the members' tasks run there),
// so it needs no lock.
//
// The slow-client policy. Each member has a queue of queueLen lines (64
// by default), held as messages of at most turnLines lines, and a writer
// task that takes every message waiting (one queue's worth at most) and
// writes them in one Write. A member's reader task passes what it reads
// to every other member's queue:
//
//   - When a queue has room, the message goes in at once.
//   - When it is full, the sender waits for room: backpressure on the
//     sender (its reader stops reading, so its client's TCP window
//     fills), never a drop of the reader. Senders waiting on one queue
//     are served first come, first served, one message each.
//   - A member whose queue has stayed full for stall (10 s by default),
//     its writer taking nothing from it all that time, has stopped
//     reading (or reads less than a queue's worth in stall while the
//     room is busy): it is disconnected, and the senders waiting for it
//     go on.
//
// So a burst is never mistaken for a slow client: a paste of 20,000
// lines to 200 members goes out at the pace of the slowest reader that
// still reads, and costs nobody their connection. What a stopped reader
// costs is bounded: the senders that reach it wait at most stall for it,
// once, and it holds at most 2 x queueLen lines of 1 KiB (its queue and
// the batch its writer is stuck on).
//
// A member's fair share: its reader passes on the whole lines of one
// read, at most turnLines (16) of them, as one message, then yields
// (task.Checkpoint). A paste goes out 16 lines at a time, interleaved
// with the other members' lines, and the writers run between its turns.
type room struct {
	queueLen int
	stall    time.Duration
	members  []*member // in order of arrival
	joined   int       // for guest names
}

type member struct {
	name string
	s    streams.Stream
	out  *task.Sender[string]
	gone bool
	// foundFull is when a sender first found the queue full since the
	// writer last took from it (lastTake): the queue has been full,
	// untouched, since the later of the two.
	foundFull, lastTake time.Time
}

// stalledSince is when m's queue was last seen moving, for a sender that
// found it full.
func (m *member) stalledSince() time.Time {
	if m.foundFull.After(m.lastTake) {
		return m.foundFull
	}
	return m.lastTake
}

func newRoom(queueLen int) *room {
	return &room{queueLen: max(queueLen, 1), stall: defaultStall}
}

// maxLine is the longest line a member may send, newline included; a
// longer one gets tooLong and the member is disconnected.
const maxLine = 1024

var tooLong = fmt.Sprintf("line longer than %d bytes: disconnected\n", maxLine)

// tellAndClose writes a last message to a member that is being
// disconnected, shielded from the cancellation and bounded to a second,
// and closes its stream.
func tellAndClose(ctx context.Context, s streams.Stream, msg string) {
	task.Shield(ctx, func(ctx context.Context) error {
		_, err := task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			_, err := s.Write(ctx, []byte(msg))
			return err
		})
		return err
	})
	s.Close()
}

// errTooSlow is why a member that does not read was disconnected.
var errTooSlow = errors.New("chat: disconnected: not reading (queue full for the stall timeout)")

// broadcast passes line to every member but from, waiting for room in
// full queues (see room's doc). It fails only with the sender's own
// cancellation. targets is the caller's scratch slice, returned for reuse.
func (r *room) broadcast(ctx context.Context, from *member, line string, targets []*member) ([]*member, error) {
	// A snapshot: members come and go while this waits.
	targets = append(targets[:0], r.members...)
	for _, m := range targets {
		if m == from || m.gone {
			continue
		}
		if err := r.deliver(ctx, m, line); err != nil {
			return targets, err
		}
	}
	clear(targets) // keep no member alive
	return targets, nil
}

// deliver puts line in m's queue, waiting while it is full, and
// disconnects m if it stays full for the stall timeout.
func (r *room) deliver(ctx context.Context, m *member, line string) error {
	err := m.out.TrySend(line)
	if err == nil || !errors.Is(err, task.ErrWouldBlock) {
		return nil // sent, or m is leaving
	}
	if !m.foundFull.After(m.lastTake) {
		m.foundFull = task.Now(ctx)
	}
	for !m.gone {
		timedOut, err := task.MoveOnAt(ctx, m.stalledSince().Add(r.stall), func(ctx context.Context) error {
			return m.out.Send(ctx, line)
		})
		switch {
		case err != nil && (errors.Is(err, task.ErrBrokenResource) || errors.Is(err, task.ErrClosedResource)):
			return nil // m left while we waited
		case err != nil:
			return fmt.Errorf("chat: passing a line to %s: %w", m.name, err)
		case !timedOut:
			return nil
		}
		// The writer may have taken lines since we found the queue full:
		// then its clock started again, and we wait once more.
		if !task.Now(ctx).Before(m.stalledSince().Add(r.stall)) {
			r.drop(m)
		}
	}
	return nil
}

// drop disconnects m for not reading: its queue ends (senders waiting on
// it go on), its stream closes (its tasks stop).
func (r *room) drop(m *member) {
	if m.gone {
		return
	}
	r.remove(m)
	m.out.CloseWithError(errTooSlow)
	m.s.Close()
	slog.Info("chat: disconnected a member that stopped reading", "member", m.name, "queue", r.queueLen, "full for", r.stall)
}

// remove takes m out of the room.
func (r *room) remove(m *member) {
	m.gone = true
	if i := slices.Index(r.members, m); i >= 0 {
		r.members = slices.Delete(r.members, i, i+1)
	}
}

// serve is the Handler for one connection: a reader (this task) that
// passes the member's lines on, and a writer task that sends it the
// room's.
func (r *room) serve(ctx context.Context, s streams.Stream) error {
	r.joined++
	out, in := task.NewChannel[string](r.queueMessages())
	m := &member{name: fmt.Sprintf("guest%d", r.joined), s: s, out: out}
	r.members = append(r.members, m)
	var targets []*member
	defer func() {
		if !m.gone {
			r.remove(m)
			out.Close()
			// Said in a shield, bounded: the others hear of it also
			// when this member's task was cancelled.
			task.Shield(ctx, func(ctx context.Context) error {
				_, err := task.MoveOnAfter(ctx, r.stall, func(ctx context.Context) error {
					_, err := r.broadcast(ctx, m, m.name+" left\n", targets)
					return err
				})
				return err
			})
		}
	}()
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error { return r.write(ctx, m, in) })
		err := r.read(ctx, m, &targets)
		n.Cancel() // the writer stops with the reader
		return err
	})
}

// read is m's reader: it reads what m sends and passes it on, the
// complete lines of one turn (at most turnLines) as one message, then
// yields.
func (r *room) read(ctx context.Context, m *member, targets *[]*member) error {
	var err error
	if *targets, err = r.broadcast(ctx, m, m.name+" joined\n", *targets); err != nil {
		return err
	}
	lr := lineReader{s: m.s, buf: make([]byte, readSize)}
	var msg []byte
	for {
		msg = msg[:0]
		lines := 0
		for lines < turnLines {
			line, ok, err := lr.next()
			if err != nil {
				tellAndClose(ctx, m.s, tooLong)
				return fmt.Errorf("chat: reading from %s: %w", m.name, err)
			}
			if !ok {
				break
			}
			msg = append(msg, m.name...)
			msg = append(msg, ": "...)
			msg = append(msg, line...)
			msg = append(msg, '\n')
			lines++
		}
		if lines > 0 {
			if *targets, err = r.broadcast(ctx, m, string(msg), *targets); err != nil {
				return err
			}
			if err := task.Checkpoint(ctx); err != nil { // the others' turn
				return err
			}
			continue
		}
		if err := lr.fill(ctx); err != nil {
			switch {
			case err == io.EOF, errors.Is(err, task.ErrClosedResource), errors.Is(err, task.ErrBrokenResource):
				return nil // gone (a last line without its newline is not said)
			}
			return fmt.Errorf("chat: reading from %s: %w", m.name, err)
		}
	}
}

// readSize is a member's read buffer (the most the room reads from one
// member at once): the whole lines of one read are passed on together.
const readSize = 16 << 10

// errTooLong is why a member that sent a line over maxLine was
// disconnected.
var errTooLong = fmt.Errorf("chat: a line longer than %d bytes", maxLine)

// lineReader splits what a member sends into lines of at most maxLine
// bytes. Unlike streams.BufferedReader it tells whether a whole line is
// already buffered, so that the lines of one read go out together.
type lineReader struct {
	s          streams.Stream
	buf        []byte
	start, end int // buf[start:end] is read, not yet returned
}

// next returns the next buffered line without its "\n" (or "\r\n"), ok
// false if no whole line is buffered. The line aliases the buffer: valid
// until fill.
func (lr *lineReader) next() (line []byte, ok bool, err error) {
	window := lr.buf[lr.start:lr.end]
	i := bytes.IndexByte(window, '\n')
	if i < 0 {
		if len(window) >= maxLine {
			return nil, false, errTooLong
		}
		return nil, false, nil
	}
	if i >= maxLine {
		return nil, false, errTooLong
	}
	lr.start += i + 1
	line = window[:i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, true, nil
}

// fill reads once more (what is buffered then is less than a line, so
// there is room).
func (lr *lineReader) fill(ctx context.Context) error {
	lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
	lr.start = 0
	n, err := lr.s.Read(ctx, lr.buf[lr.end:])
	lr.end += n
	return err
}

// queueMessages is a member's queue capacity in messages: each holds at
// most turnLines lines, so the queue holds at most queueLen lines.
func (r *room) queueMessages() int { return max(1, r.queueLen/turnLines) }

// write is m's writer task: it takes every message waiting in its queue
// (at most a queue's worth: a batch is bounded) and writes them in one
// Write.
func (r *room) write(ctx context.Context, m *member, in *task.Receiver[string]) error {
	defer in.Close()
	var batch []byte
	for {
		msg, err := in.Receive(ctx)
		if err != nil {
			return nil // the member left or was dropped; the reader sees it too
		}
		batch = append(batch[:0], msg...)
		for range r.queueMessages() - 1 {
			msg, err := in.TryReceive()
			if err != nil {
				break
			}
			batch = append(batch, msg...)
		}
		m.lastTake = task.Now(ctx) // the queue moved: its clock starts again
		if _, err := m.s.Write(ctx, batch); err != nil {
			return nil // gone: the reader sees it too
		}
	}
}
