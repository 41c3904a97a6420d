package task

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/f04742a6/reactor/loop/ring"
)

// NewChannel returns the two ends of a memory channel holding up to
// capacity values. Capacity 0 is a rendezvous: Send returns only once a
// receiver has taken the value. A negative capacity panics.
//
// Nothing is lost: a Send that returns nil handed its value to a receiver
// or the buffer; one that returns an error did not. Receivers are served
// first come, first served, and so are blocked senders.
func NewChannel[T any](capacity int) (*Sender[T], *Receiver[T]) {
	if capacity < 0 {
		panic(fmt.Sprintf("task: NewChannel(%d): capacity must be 0 or more", capacity))
	}
	ch := &channel[T]{capacity: capacity, senders: 1, receivers: 1}
	return &Sender[T]{ch: ch}, &Receiver[T]{ch: ch}
}

// item is a value in flight, with the SendAndWait waiter to tell when it
// is acknowledged.
type item[T any] struct {
	v   T
	ack *waiter
}

type channel[T any] struct {
	b         Binding // the loop last used on; see enter
	capacity  int
	buf       ring.Ring[item[T]]
	sendQ     waitQueue  // parked senders; waiter.item is their *item[T]
	recvQ     waitQueue  // parked receivers; waiter.item receives an *item[T]
	boxes     []*item[T] // free boxes for waiter.item: a hand-off allocates nothing
	senders   int        // open send ends
	receivers int        // open receive ends
	closeErr  error      // first CloseWithError
	leases    int        // values handed out by ReceiveLease, not yet settled
}

// DiscardedError is returned by the Close of the last receive end when
// values were still buffered: they can no longer be delivered.
type DiscardedError struct{ N int }

func (e *DiscardedError) Error() string {
	return fmt.Sprintf("task: channel closed with %d values still buffered: discarded", e.N)
}

// Is makes a DiscardedError match ErrBrokenResource.
func (e *DiscardedError) Is(target error) bool { return target == ErrBrokenResource }

// Sender is a send end. Clone it for each producer; each clone is closed
// independently, and receivers see the end of the channel once every send
// end is closed.
type Sender[T any] struct {
	ch     *channel[T]
	closed bool
}

// Receiver is a receive end. Clone it for each consumer (values are shared
// out, not broadcast).
type Receiver[T any] struct {
	ch     *channel[T]
	closed bool
	err    error
}

// Send sends v, blocking until a receiver or the buffer takes it. It
// fails with ErrClosedResource if this end is closed, ErrBrokenResource
// if every receive end is, and with cancellation, in which case v was not
// sent. It is a checkpoint: cancellation is checked before anything else,
// and a Send that succeeds or fails without waiting spends the fairness
// budget.
func (s *Sender[T]) Send(ctx context.Context, v T) error {
	return s.send(ctx, v, "Sender.Send", nil)
}

func (s *Sender[T]) send(ctx context.Context, v T, op string, ack *waiter) error {
	t, c := current(ctx, op)
	s.ch.enter(t.r)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if err := s.usable(op); err != nil {
		t.r.spend(t) // failing at once still spends: a retry loop cannot keep the loop
		return err
	}
	if s.ch.offer(t.r, item[T]{v: v, ack: ack}) {
		t.r.spend(t)
		return nil
	}
	w := t.newWait(op)
	w.item, w.owner, w.queue = s.ch.box(item[T]{v: v, ack: ack}), s, &s.ch.sendQ
	s.ch.sendQ.Push(w)
	err := t.r.block(ctx, c, t, w, op)
	if err != nil { // not taken: the box is still ours
		s.ch.unbox(w.item)
	}
	return err
}

// box puts it in a box for a waiter, from the free list if it can.
func (ch *channel[T]) box(it item[T]) *item[T] {
	if n := len(ch.boxes); n > 0 {
		p := ch.boxes[n-1]
		ch.boxes = ch.boxes[:n-1]
		*p = it
		return p
	}
	p := new(item[T])
	*p = it
	return p
}

// unbox returns the value in a waiter's box and frees the box.
func (ch *channel[T]) unbox(b any) item[T] {
	p := b.(*item[T])
	it := *p
	*p = item[T]{} // drop the reference for the collector
	ch.boxes = append(ch.boxes, p)
	return it
}

// enter binds the channel to r for an operation with a ctx. Unlike the
// sync objects, a channel stays bound to the loop it was last used on
// while idle (a ping-pong would otherwise store twice per message); it
// moves to another loop only while idle: no waiter, no lease out.
func (ch *channel[T]) enter(r *runner) {
	if cur := ch.b.r.Load(); cur != r {
		if cur != nil && !cur.ended.Load() && ch.sendQ.Len()+ch.recvQ.Len()+ch.leases > 0 {
			panic(otherLoopMisuse("channel"))
		}
		ch.b.r.Store(r)
	}
}

func (s *Sender[T]) usable(op string) error {
	switch {
	case s.closed:
		return fmt.Errorf("task: %s: %w", op, ErrClosedResource)
	case s.ch.receivers == 0:
		return fmt.Errorf("task: %s: %w: every receive end is closed", op, ErrBrokenResource)
	}
	return nil
}

// offer hands it to a waiting receiver or the buffer, if either can take
// it now.
func (ch *channel[T]) offer(r *runner, it item[T]) bool {
	if w := ch.recvQ.pop(); w != nil {
		ch.handTo(r, w, it)
		return true
	}
	if ch.buf.Len() < ch.capacity {
		ch.buf.Push(it)
		return true
	}
	return false
}

// handTo gives it to a parked receiver. A value handed to a ReceiveLease
// is a lease from here on, before its task runs again: until then the
// channel must not look over to the other receivers (a Release would
// find nobody left to take it back).
func (ch *channel[T]) handTo(r *runner, w *waiter, it item[T]) {
	w.item = ch.box(it)
	if w.op == opReceiveLease {
		ch.leases++
	}
	r.wake(w, nil)
}

// opReceiveLease names ReceiveLease's waits, which handTo counts as leases.
const opReceiveLease = "Receiver.ReceiveLease"

// TrySend sends v if a receiver or the buffer can take it at once, and
// fails with ErrWouldBlock otherwise. It is not a checkpoint.
func (s *Sender[T]) TrySend(v T) error {
	r := s.ch.b.checkedLoop("Sender.TrySend", "channel")
	if err := s.usable("Sender.TrySend"); err != nil {
		return err
	}
	if s.ch.offer(r, item[T]{v: v}) {
		return nil
	}
	return fmt.Errorf("task: Sender.TrySend: %w", ErrWouldBlock)
}

// SendAndWait sends v and returns nil only once a receiver acknowledged it
// (Receive, or Lease.Ack). Cancelled before a receiver took it, the value
// is withdrawn; cancelled while a lease holds it, the error says the value
// is still in flight.
func (s *Sender[T]) SendAndWait(ctx context.Context, v T) error {
	t, c := current(ctx, "Sender.SendAndWait")
	ack := &waiter{op: "SendAndWait: acknowledgement"} // its own record: an item may hold it after the task moved on
	if err := s.send(ctx, v, "Sender.SendAndWait", ack); err != nil {
		return err
	}
	if ack.done {
		return nil
	}
	ack.abort = func() bool {
		// Withdraw the value if it is still buffered.
		for i := range s.ch.buf.Len() {
			if s.ch.buf.At(i).ack == ack {
				s.ch.buf.RemoveAt(i)
				return true
			}
		}
		ack.leased = true // a lease holds it: it stays in flight
		return true
	}
	err := t.r.block(ctx, c, t, ack, "Sender.SendAndWait")
	if err != nil && ack.leased {
		return fmt.Errorf("task: SendAndWait: value still in flight (held by a lease): %w", err)
	}
	return err
}

// Clone returns a new send end of the same channel. Cloning a closed end
// panics with an error matching ErrClosedResource.
func (s *Sender[T]) Clone() *Sender[T] {
	if s.closed {
		panic(fmt.Errorf("task: Sender.Clone of a closed end: %w", ErrClosedResource))
	}
	s.ch.senders++
	return &Sender[T]{ch: s.ch}
}

// Close closes this send end; tasks blocked sending on it get
// ErrClosedResource. It is idempotent and not a checkpoint.
func (s *Sender[T]) Close() error { return s.CloseWithError(nil) }

// CloseWithError closes this send end; once every send end is closed and
// the buffer drained, receivers get the first such error instead of
// ErrEndOfChannel.
func (s *Sender[T]) CloseWithError(err error) error {
	s.ch.b.checkedLoop("Sender.Close", "channel")
	if s.closed {
		return nil
	}
	s.closed = true
	ch := s.ch
	if err != nil && ch.closeErr == nil {
		ch.closeErr = err
	}
	ch.senders--
	ch.sendQ.wakeOwned(s, fmt.Errorf("task: Send: %w", ErrClosedResource))
	ch.wakeAtEnd()
	return nil
}

// wakeOwned fails the waits made through handle h, keeping the rest.
func (q *waitQueue) wakeOwned(h any, err error) {
	q.filter(func(w *waiter) bool { return w.owner != h }, func(w *waiter) { w.t.r.wake(w, err) })
}

// wakeAll fails every wait in the queue with err.
func (q *waitQueue) wakeAll(err error) {
	for q.handOff(err) != nil {
	}
}

// endErr is what a receiver gets once the channel is over.
func (ch *channel[T]) endErr() error {
	if ch.closeErr != nil {
		return ch.closeErr
	}
	return fmt.Errorf("task: Receive: %w", ErrEndOfChannel)
}

// over reports whether receivers have nothing more to wait for.
func (ch *channel[T]) over() bool {
	return ch.senders == 0 && ch.buf.Len() == 0 && ch.sendQ.Len() == 0 && ch.leases == 0
}

func (ch *channel[T]) wakeAtEnd() {
	if !ch.over() {
		return
	}
	for ch.recvQ.Len() > 0 {
		ch.recvQ.handOff(ch.endErr())
	}
}

// take removes the next value: from the buffer (refilling it from a
// parked sender) or, for a rendezvous, from a parked sender.
func (ch *channel[T]) take(r *runner) (item[T], bool) {
	if ch.buf.Len() > 0 {
		it := ch.buf.Pop()
		if w := ch.sendQ.pop(); w != nil {
			ch.buf.Push(ch.unbox(w.item))
			r.wake(w, nil)
		}
		return it, true
	}
	if w := ch.sendQ.pop(); w != nil {
		r.wake(w, nil)
		return ch.unbox(w.item), true
	}
	return item[T]{}, false
}

// Receive returns the next value. Once every send end is closed and the
// buffer is drained it returns ErrEndOfChannel (which matches io.EOF), or
// the CloseWithError error. It is a checkpoint, like Send.
func (rc *Receiver[T]) Receive(ctx context.Context) (T, error) {
	it, t, err := rc.receive(ctx, "Receiver.Receive")
	if err != nil {
		var zero T
		return zero, err
	}
	it.acked(rc.ch)
	if t != nil {
		t.r.spend(t)
	}
	return it.v, nil
}

// receive takes the next value. When it took one without waiting it
// returns the task, whose budget the caller spends once the value is
// settled (acked, or counted as leased): the yield that may come with it
// must not show other receivers a channel that looks over while the value
// is in neither the buffer nor a lease.
func (rc *Receiver[T]) receive(ctx context.Context, op string) (item[T], *Task, error) {
	t, c := current(ctx, op)
	rc.ch.enter(t.r)
	if err := t.check(ctx, c, op); err != nil {
		return item[T]{}, nil, err
	}
	if rc.closed {
		t.r.spend(t) // failing at once still spends: a retry loop cannot keep the loop
		return item[T]{}, nil, fmt.Errorf("task: %s: %w", op, ErrClosedResource)
	}
	ch := rc.ch
	if it, ok := ch.take(t.r); ok {
		return it, t, nil
	}
	if ch.over() {
		t.r.spend(t) // the end is final: a caller that asks again yields too
		return item[T]{}, nil, ch.endErr()
	}
	w := t.newWait(op)
	w.owner, w.queue = rc, &ch.recvQ
	ch.recvQ.Push(w)
	if err := t.r.block(ctx, c, t, w, op); err != nil {
		return item[T]{}, nil, err
	}
	return ch.unbox(w.item), nil, nil
}

// acked settles a plain receive: a SendAndWait sender is told.
func (it item[T]) acked(ch *channel[T]) {
	if it.ack != nil && !it.ack.done {
		it.ack.t.r.wake(it.ack, nil)
	}
}

// TryReceive returns a value if one can be had at once, ErrWouldBlock if
// not, ErrEndOfChannel at the end. It is not a checkpoint.
func (rc *Receiver[T]) TryReceive() (T, error) {
	var zero T
	ch := rc.ch
	r := ch.b.checkedLoop("Receiver.TryReceive", "channel")
	if rc.closed {
		return zero, fmt.Errorf("task: Receiver.TryReceive: %w", ErrClosedResource)
	}
	if it, ok := ch.take(r); ok {
		it.acked(ch)
		return it.v, nil
	}
	if ch.over() {
		return zero, ch.endErr()
	}
	return zero, fmt.Errorf("task: Receiver.TryReceive: %w", ErrWouldBlock)
}

// Lease is a value taken with ReceiveLease: it stays in flight until Ack
// or Release. Release, or the holding task ending without either, puts it
// back at the front of the channel for another receiver.
type Lease[T any] struct {
	ch      *channel[T]
	it      item[T]
	holder  *Task
	settled bool
}

// taskEnded gives the value back: the holder ended without Ack.
func (l *Lease[T]) taskEnded(*Task) { l.Release() }

// ReceiveLease takes the next value as a lease; see Lease.
func (rc *Receiver[T]) ReceiveLease(ctx context.Context) (*Lease[T], error) {
	it, now, err := rc.receive(ctx, opReceiveLease)
	if err != nil {
		return nil, err
	}
	if now != nil {
		rc.ch.leases++ // taken at once; a hand-off to our wait counted it already
	}
	t, _ := current(ctx, opReceiveLease)
	l := &Lease[T]{ch: rc.ch, it: it, holder: t}
	t.hold(l) // the holder may end without settling: then it goes back
	if now != nil {
		t.r.spend(t)
	}
	return l, nil
}

// Value returns the leased value.
func (l *Lease[T]) Value() T { return l.it.v }

// Ack settles the lease: the value is delivered. Ack after Release is a
// no-op.
func (l *Lease[T]) Ack() {
	l.ch.b.checkedLoop("Lease.Ack", "channel")
	if l.settled {
		return
	}
	l.settled = true
	l.holder.unhold(l)
	l.ch.leases--
	l.it.acked(l.ch)
	l.ch.wakeAtEnd()
}

// Release gives the value back: it goes to the front of the channel, to
// the first waiting receiver if there is one. Release after Ack is a no-op.
func (l *Lease[T]) Release() {
	l.ch.b.checkedLoop("Lease.Release", "channel")
	if l.settled {
		return
	}
	l.settled = true
	l.holder.unhold(l)
	ch := l.ch
	ch.leases--
	if ch.receivers == 0 {
		return // nobody left to take it
	}
	if w := ch.recvQ.pop(); w != nil {
		ch.handTo(w.t.r, w, l.it)
		// That may have been the last value: the other receivers must hear
		// of the end (found by FuzzChannelNothingLost, seed -276).
		ch.wakeAtEnd()
		return
	}
	ch.buf.PushFront(l.it) // may exceed capacity by the leases out
}

// Clone returns a new receive end of the same channel. Cloning a closed
// end panics with an error matching ErrClosedResource.
func (rc *Receiver[T]) Clone() *Receiver[T] {
	if rc.closed {
		panic(fmt.Errorf("task: Receiver.Clone of a closed end: %w", ErrClosedResource))
	}
	rc.ch.receivers++
	return &Receiver[T]{ch: rc.ch}
}

// Close closes this receive end. Tasks blocked receiving on it get
// ErrClosedResource. Closing the last receive end breaks the channel:
// blocked senders get ErrBrokenResource, and if values were still
// buffered Close returns a *DiscardedError with their count. Idempotent,
// not a checkpoint.
func (rc *Receiver[T]) Close() error {
	ch := rc.ch
	ch.b.checkedLoop("Receiver.Close", "channel")
	if rc.closed {
		return nil
	}
	rc.closed = true
	ch.receivers--
	ch.recvQ.wakeOwned(rc, fmt.Errorf("task: Receive: %w", ErrClosedResource))
	if ch.receivers > 0 {
		return nil
	}
	ch.recvQ.wakeAll(fmt.Errorf("task: Receive: %w", ErrClosedResource))
	ch.sendQ.wakeAll(fmt.Errorf("task: Send: %w: every receive end is closed", ErrBrokenResource))
	n := ch.buf.Len()
	for i := range n {
		it := *ch.buf.At(i)
		if it.ack != nil && !it.ack.done {
			it.ack.t.r.wake(it.ack, fmt.Errorf("task: SendAndWait: %w: discarded unread", ErrBrokenResource))
		}
	}
	ch.buf.Clear()
	if n > 0 {
		return &DiscardedError{N: n}
	}
	return nil
}

// All returns the values as a sequence for range, ending at the end of
// the channel; Err then reports why it ended (nil at end of channel).
func (rc *Receiver[T]) All(ctx context.Context) iter.Seq[T] {
	return func(yield func(T) bool) {
		rc.err = nil
		for {
			v, err := rc.Receive(ctx)
			if err != nil {
				if !errors.Is(err, ErrEndOfChannel) {
					rc.err = err
				}
				return
			}
			if !yield(v) {
				return
			}
		}
	}
}

// Err returns the error that ended the last All loop, nil if it reached
// the end of the channel or was stopped by its caller.
func (rc *Receiver[T]) Err() error { return rc.err }
