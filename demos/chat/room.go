package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// room is one chat room: every line a member sends goes to every other
// member. Its fields belong to the loop (the members' tasks run there),
// so it needs no lock.
//
// The slow-client policy: each member has a queue of queueLen lines,
// filled by the room without waiting (TrySend) and emptied by the
// member's own writer task. A member whose queue is full, because it
// stopped reading, is disconnected at once: nobody waits for it, and the
// room holds at most queueLen lines per member.
type room struct {
	queueLen int
	members  map[*member]bool
	joined   int // for guest names
}

type member struct {
	name string
	s    streams.Stream
	out  *task.Sender[string]
}

func newRoom(queueLen int) *room { return &room{queueLen: queueLen, members: map[*member]bool{}} }

// maxLine is the longest line a member may send, newline included; a
// longer one gets tooLong and the member is disconnected (the room never
// buffers more than this per reader).
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
var errTooSlow = errors.New("disconnected: not reading (queue full)")

// broadcast sends line to every member but from, disconnecting those
// whose queue is full.
func (r *room) broadcast(from *member, line string) {
	for m := range r.members {
		if m == from {
			continue
		}
		if err := m.out.TrySend(line); err != nil {
			r.drop(m)
		}
	}
}

// drop disconnects m: its queue ends, its stream closes (its tasks stop).
func (r *room) drop(m *member) {
	if !r.members[m] {
		return
	}
	delete(r.members, m)
	m.out.CloseWithError(errTooSlow)
	m.s.Close()
}

// serve is the Handler for one connection: a reader (this task) that
// posts the member's lines, and a writer task that sends it the room's.
func (r *room) serve(ctx context.Context, s streams.Stream) error {
	r.joined++
	out, in := task.NewChannel[string](r.queueLen)
	m := &member{name: fmt.Sprintf("guest%d", r.joined), s: s, out: out}
	r.members[m] = true
	r.broadcast(m, m.name+" joined\n")
	defer func() {
		if r.members[m] {
			delete(r.members, m)
			out.Close()
			r.broadcast(m, m.name+" left\n")
		}
	}()
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error {
			for line := range in.All(ctx) {
				if _, err := s.Write(ctx, []byte(line)); err != nil {
					return nil // gone: the reader sees it too
				}
			}
			return nil
		})
		lines := streams.NewBufferedReader(s, maxLine)
		for {
			line, err := lines.ReadLine(ctx)
			if err != nil {
				n.Cancel() // the writer stops with the reader
				switch {
				case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, task.ErrClosedResource):
					return nil // gone (a last line without its newline is not said)
				case errors.Is(err, streams.ErrTooLong):
					tellAndClose(ctx, s, tooLong)
				}
				return err
			}
			r.broadcast(m, m.name+": "+string(line)+"\n")
		}
	})
}
