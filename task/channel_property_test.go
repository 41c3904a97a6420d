package task

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestChannelNothingLostProperty drives channels with random senders,
// receivers, clones, closes, leases and cancellations, with fixed seeds
// (reproducible: the schedule is shuffled by the same seed), and checks the
// "nothing lost" rule against a simple model: every value whose Send
// returned nil was received exactly once or counted as discarded by the
// Close of the last receive end; no value whose Send failed was received.
func TestChannelNothingLostProperty(t *testing.T) {
	for seed := range int64(40) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { channelProperty(t, seed) })
	}
}

// FuzzChannelNothingLost runs the same property with the schedules and
// operations the fuzzer's seeds choose.
func FuzzChannelNothingLost(f *testing.F) {
	for seed := range int64(4) {
		f.Add(seed)
	}
	f.Fuzz(channelProperty)
}

func channelProperty(t *testing.T, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	capacity := rng.IntN(4)
	sentOK := map[int]bool{}
	sentErr := map[int]bool{}
	received := map[int]int{}
	discarded := 0
	pause := func(ctx context.Context) { Sleep(ctx, time.Duration(rng.IntN(3))*time.Millisecond) }

	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](capacity)
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			nextValue := 0
			senders, receivers := 1+rng.IntN(4), 1+rng.IntN(4)
			for range senders {
				sc := s.Clone()
				count := rng.IntN(15)
				n.Go(func(ctx context.Context) error {
					defer sc.Close()
					for range count {
						v := nextValue
						nextValue++
						err := sendTracked(ctx, sc, v, rng, sentOK)
						if err != nil {
							sentErr[v] = true
							return nil // this sender gives up (broken channel)
						}
						pause(ctx)
					}
					return nil
				})
			}
			s.Close()
			open := receivers
			for range receivers {
				rc := r.Clone()
				n.Go(func(ctx context.Context) error {
					leave := func() error {
						open--
						var d *DiscardedError
						if errors.As(rc.Close(), &d) {
							discarded += d.N
						}
						return nil
					}
					for {
						if open > 1 && rng.IntN(12) == 0 { // leave early
							return leave()
						}
						switch rng.IntN(4) {
						case 0: // a receive that may be cancelled
							MoveOnAfter(ctx, time.Duration(rng.IntN(3))*time.Millisecond, func(ctx context.Context) error {
								v, err := rc.Receive(ctx)
								if err == nil {
									received[v]++
								}
								return err
							})
						case 1: // a lease, acked or released
							l, err := rc.ReceiveLease(ctx)
							if err != nil {
								return endOr(err, leave)
							}
							pause(ctx)
							if rng.IntN(2) == 0 {
								received[l.Value()]++
								l.Ack()
							} else {
								l.Release()
							}
						default:
							v, err := rc.Receive(ctx)
							if err != nil {
								return endOr(err, leave)
							}
							received[v]++
						}
						pause(ctx)
					}
				})
			}
			r.Close()
			return nil
		})
	}, WithSeed(seed))

	lost := 0
	for v := range sentOK {
		switch received[v] {
		case 0:
			lost++
		case 1:
		default:
			t.Errorf("value %d received %d times", v, received[v])
		}
	}
	for v := range received {
		if !sentOK[v] {
			t.Errorf("value %d received but its Send failed (err=%v)", v, sentErr[v])
		}
	}
	if lost != discarded {
		t.Errorf("%d sent values never received, %d reported discarded", lost, discarded)
	}
}

// sendTracked sends v, sometimes with a deadline, and records whether the
// send succeeded: the model's ground truth is what Send returned.
func sendTracked(ctx context.Context, s *Sender[int], v int, rng *rand.Rand, sentOK map[int]bool) error {
	if rng.IntN(3) == 0 {
		var err error
		timedOut, _ := MoveOnAfter(ctx, time.Duration(rng.IntN(3))*time.Millisecond, func(ctx context.Context) error {
			err = s.Send(ctx, v)
			return err
		})
		if timedOut {
			return nil // cancelled: not sent, and not an error for the sender
		}
		if err == nil {
			sentOK[v] = true
		}
		return err
	}
	err := s.Send(ctx, v)
	if err == nil {
		sentOK[v] = true
	}
	return err
}

// endOr calls leave at the end of the channel and returns other errors.
func endOr(err error, leave func() error) error {
	if errors.Is(err, ErrEndOfChannel) {
		return leave()
	}
	return err
}
