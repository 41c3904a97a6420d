package task

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

// CONFORMANCE.md C55, C56, C57: buffered, unbuffered, direct hand-off.
func TestChannelBufferAndRendezvous(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](2)
		expect(t, s.TrySend(1) == nil && s.TrySend(2) == nil, "buffered TrySend failed")
		expect(t, errors.Is(s.TrySend(3), ErrWouldBlock), "full TrySend did not fail")
		v, err := r.Receive(ctx)
		expect(t, v == 1 && err == nil, "Receive = %v, %v", v, err)

		s0, r0 := NewChannel[string](0)
		expect(t, errors.Is(s0.TrySend("x"), ErrWouldBlock), "rendezvous TrySend with no receiver")
		_, err = r0.TryReceive()
		expect(t, errors.Is(err, ErrWouldBlock), "rendezvous TryReceive with no sender: %v", err)
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var sentAt time.Duration
			n.Go(func(ctx context.Context) error {
				err := s0.Send(ctx, "hello") // returns only once taken
				sentAt = elapsed(ctx)
				return err
			})
			Sleep(ctx, time.Second)
			v, err := r0.Receive(ctx)
			expect(t, v == "hello" && err == nil, "rendezvous Receive = %q, %v", v, err)
			WaitAllTasksBlocked(ctx)
			expect(t, sentAt == time.Second, "Send returned at %v, before the receiver took it", sentAt)
			// A parked receiver gets a TrySend straight away.
			n.Go(func(ctx context.Context) error {
				v, err := r0.Receive(ctx)
				expect(t, v == "direct" && err == nil, "parked receiver got %q %v", v, err)
				return nil
			})
			WaitAllTasksBlocked(ctx)
			expect(t, s0.TrySend("direct") == nil, "TrySend to a parked receiver failed")
			return nil
		})
	})
}

// CONFORMANCE.md C58: FIFO, exactly once, among many senders and
// receivers.
func TestChannelFIFOExactlyOnce(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](0)
		var got [3][]int
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			for i := range 3 {
				rc := r.Clone()
				n.Go(func(ctx context.Context) error {
					defer rc.Close()
					for v := range rc.All(ctx) {
						got[i] = append(got[i], v)
					}
					return rc.Err()
				})
			}
			r.Close()
			defer s.Close()
			for v := range 30 {
				if err := s.Send(ctx, v); err != nil {
					return err
				}
			}
			return nil
		})
		all := slices.Concat(got[0], got[1], got[2])
		slices.Sort(all)
		expect(t, err == nil && len(all) == 30 && slices.Equal(all, slices.Sorted(slices.Values(all))), "err %v got %v", err, got)
		for i := range 30 {
			expect(t, all[i] == i, "value %d delivered %d times", i, slices.Index(all, i))
		}
		for i := range got {
			expect(t, len(got[i]) > 0, "receiver %d starved: shares %d %d %d", i, len(got[0]), len(got[1]), len(got[2]))
		}
		return nil
	})
}

// CONFORMANCE.md C59-C63: closing ends.
func TestChannelClose(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](1)
		s2 := s.Clone()
		s.TrySend(7)
		s.Close()
		s.Close() // idempotent
		expect(t, errors.Is(s.Send(ctx, 1), ErrClosedResource), "Send on a closed end")
		expect(t, catchPanic(func() { s.Clone() }) != nil, "Clone of a closed end did not panic")
		v, err := r.Receive(ctx) // buffered values drain first
		expect(t, v == 7 && err == nil, "drain: %v %v", v, err)
		_, err = r.TryReceive()
		expect(t, errors.Is(err, ErrWouldBlock), "one send end still open: %v", err)
		s2.CloseWithError(io.ErrUnexpectedEOF)
		_, err = r.Receive(ctx)
		expect(t, errors.Is(err, io.ErrUnexpectedEOF), "CloseWithError: %v", err)

		s, r = NewChannel[int](0)
		s.Close()
		_, err = r.Receive(ctx)
		expect(t, errors.Is(err, ErrEndOfChannel) && errors.Is(err, io.EOF), "end of channel: %v", err)
		_, err = r.TryReceive()
		expect(t, errors.Is(err, ErrEndOfChannel), "TryReceive at the end: %v", err)

		s, r = NewChannel[int](3)
		s.TrySend(1)
		s.TrySend(2)
		err = r.Close()
		var d *DiscardedError
		expect(t, errors.As(err, &d) && d.N == 2, "closing with 2 buffered: %v", err)
		expect(t, errors.Is(s.Send(ctx, 3), ErrBrokenResource) && errors.Is(s.TrySend(3), ErrBrokenResource), "send after receivers gone")
		_, err = r.Receive(ctx)
		expect(t, errors.Is(err, ErrClosedResource), "Receive on closed end: %v", err)
		return nil
	})
}

// Blocked callers are woken by Close of their own end or the last peer.
func TestChannelCloseWakesBlocked(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](0)
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				_, err := r.Receive(ctx)
				expect(t, errors.Is(err, ErrEndOfChannel), "blocked receiver: %v", err)
				return nil
			})
			WaitAllTasksBlocked(ctx)
			s.Close()
			s2, r2 := NewChannel[int](0)
			n.Go(func(ctx context.Context) error {
				err := s2.Send(ctx, 1)
				expect(t, errors.Is(err, ErrBrokenResource), "blocked sender: %v", err)
				return nil
			})
			WaitAllTasksBlocked(ctx)
			r2.Close()
			return nil
		})
	})
}

// CONFORMANCE.md C50, C64, C65: a cancelled Send sent nothing, a
// cancelled Receive took nothing, and a completed hand-off is final.
func TestChannelCancellationLosesNothing(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](0)
		timedOut, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error { return s.Send(ctx, 1) })
		expect(t, timedOut && err == nil, "send: %v %v", timedOut, err)
		_, err = r.TryReceive()
		expect(t, errors.Is(err, ErrWouldBlock), "a cancelled send left its value: %v", err)

		timedOut, _ = MoveOnAfter(ctx, time.Second, func(ctx context.Context) error { _, err := r.Receive(ctx); return err })
		expect(t, timedOut && errors.Is(s.TrySend(2), ErrWouldBlock), "a cancelled receiver still waits")

		// Hand-off then cancellation before the sender resumes: success.
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var sendErr error
			var sc *Scope
			n.Go(func(ctx context.Context) error {
				return WithScope(ctx, func(ctx context.Context, scope *Scope) error {
					sc = scope
					sendErr = s.Send(ctx, 3)
					return nil
				})
			})
			WaitAllTasksBlocked(ctx)
			v, _ := r.TryReceive() // takes the value: the send completed
			sc.Cancel()            // too late to undo it
			WaitAllTasksBlocked(ctx)
			expect(t, v == 3 && sendErr == nil, "value %v, send %v", v, sendErr)
			return nil
		})
	})
}

// Leases: a released (or orphaned) lease goes back to the front; Ack
// settles; SendAndWait returns after the Ack.
func TestLeases(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[string](4)
		s.TrySend("a")
		s.TrySend("b")
		l, err := r.ReceiveLease(ctx)
		expect(t, err == nil && l.Value() == "a", "lease %v", err)
		l.Release()
		l.Ack() // no-op after Release
		v, _ := r.Receive(ctx)
		expect(t, v == "a", "released value not back at the front: %q", v)

		// The holder ends without settling: the value goes back.
		err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				_, err := r.ReceiveLease(ctx) // takes "b", then returns
				return err
			})
			return nil
		})
		v, _ = r.Receive(ctx)
		expect(t, err == nil && v == "b", "orphaned lease not returned: %q %v", v, err)

		// SendAndWait returns only after the Ack.
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var ackedAt time.Duration = -1
			n.Go(func(ctx context.Context) error {
				err := s.SendAndWait(ctx, "c")
				ackedAt = elapsed(ctx)
				return err
			})
			l, err := r.ReceiveLease(ctx)
			if err != nil {
				return err
			}
			Sleep(ctx, time.Second)
			expect(t, ackedAt < 0, "SendAndWait returned before the Ack")
			l.Ack()
			WaitAllTasksBlocked(ctx)
			expect(t, ackedAt == time.Second, "SendAndWait returned at %v", ackedAt)
			// End of channel waits for outstanding leases.
			s.TrySend("d")
			l, _ = r.ReceiveLease(ctx)
			s.Close()
			n.Go(func(ctx context.Context) error {
				v, err := r.Receive(ctx)
				expect(t, v == "d" && err == nil, "after release: %q %v", v, err)
				_, err = r.Receive(ctx)
				expect(t, errors.Is(err, ErrEndOfChannel), "then: %v", err)
				return nil
			})
			WaitAllTasksBlocked(ctx)
			l.Release()
			return nil
		})
	})
}
