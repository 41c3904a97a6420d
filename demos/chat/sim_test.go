package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The chat room on a simulated network: the room (newRoom(64).serve) on
// the host "chat", every member on a host of its own, over links of
// 1-30ms with 2 % loss, on the simulated clock. TCP coalesces and
// splits what a member writes (by the seed), as a kernel does, which is
// what the memory-stream tests could not show: the burst bug below
// passed every one of them.

// simUserTimeout is the TCP user timeout of the simulated hosts: a
// connection whose segments are held this long (its peer crashed) resets.
const simUserTimeout = 2 * time.Minute

// simMember is one member's connection, read line by line.
type simMember struct {
	s *streams.SocketStream
	r *streams.BufferedReader
}

func simJoin(ctx context.Context) (*simMember, error) {
	s, err := streams.DialTCP(ctx, "chat:7001")
	if err != nil {
		return nil, err
	}
	return &simMember{s, streams.NewBufferedReader(s, 4096)}, nil
}

// next reads the next line that is not a join; a "left" line or an
// error (a disconnection) fails.
func (m *simMember) next(ctx context.Context) (string, error) {
	for {
		line, err := m.r.ReadLine(ctx)
		if err != nil {
			return "", fmt.Errorf("disconnected: %w", err)
		}
		s := string(line)
		switch {
		case strings.HasSuffix(s, " joined"):
			continue
		case strings.HasSuffix(s, " left"):
			return s, fmt.Errorf("read %q", s)
		}
		return s, nil
	}
}

// simBurst is the red team's burst: lines lines in one write by one
// member while others readers are connected. Each reader must get every
// line, in order, then "still there?", and answer; the paster must hear
// every answer: nobody was disconnected. With crashOne, one more member
// is on a host that crashes (silence, no FIN) just before the burst: the
// others are not held back by it, and once the server's TCP gives up on
// it (the user timeout), the room says it left.
func simBurst(t *testing.T, readers, lines int, crashOne bool) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		// The room, as main.go serves it; first tells when the first
		// member (the paster, guest1) is in.
		first := &task.Event{}
		w.Host("chat", func(ctx context.Context) error {
			r := newRoom(64)
			return streams.ServeTCP(ctx, ":7001", func(ctx context.Context, s streams.Stream) error {
				first.Set()
				return r.serve(ctx, s)
			}, nil)
		})
		if err := task.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		// The paster joins first, then the readers (and the one that
		// crashes); the paster hears every join.
		members := readers
		if crashOne {
			members++
		}
		joined := &task.Event{}
		pasted := &task.Event{}
		done := &task.Event{}
		var doneCount int
		acks := map[string]bool{}
		left := &task.Event{}
		var crashedAt, leftAt time.Time
		w.Host("paster", func(ctx context.Context) error {
			m, err := simJoin(ctx)
			if err != nil {
				return err
			}
			defer m.s.Close()
			for range members {
				line, err := m.r.ReadLine(ctx)
				if err != nil || !strings.HasSuffix(string(line), " joined") {
					return fmt.Errorf("paster, waiting for the joins: %q, %v", line, err)
				}
			}
			joined.Set()
			var paste strings.Builder
			for i := range lines {
				fmt.Fprintf(&paste, "line %d\n", i)
			}
			paste.WriteString("still there?\n")
			if _, err := m.s.Write(ctx, []byte(paste.String())); err != nil {
				return err
			}
			pasted.Set()
			for len(acks) < readers {
				line, err := m.next(ctx)
				if err != nil {
					if crashOne && strings.HasSuffix(line, " left") {
						continue // the crashed one, once the server gave up on it
					}
					return fmt.Errorf("paster: %w", err)
				}
				name, msg, _ := strings.Cut(line, ": ")
				if msg != "ack" || acks[name] {
					return fmt.Errorf("paster read %q", line)
				}
				acks[name] = true
			}
			if crashOne {
				// The server's TCP gives up on the silent host at the
				// user timeout; then the room says it left.
				line, err := m.r.ReadLine(ctx)
				if !strings.HasSuffix(string(line), " left") || err != nil {
					return fmt.Errorf("paster read %q, %v; want that the crashed member left", line, err)
				}
				leftAt = task.Now(ctx)
				left.Set()
			}
			return nil
		})
		if err := first.Wait(ctx); err != nil { // the paster is guest1
			return err
		}
		for i := range readers {
			w.Host(fmt.Sprintf("reader%d", i), func(ctx context.Context) error {
				m, err := simJoin(ctx)
				if err != nil {
					return err
				}
				defer m.s.Close()
				for n := range lines + 1 {
					want := "guest1: line " + fmt.Sprint(n)
					if n == lines {
						want = "guest1: still there?"
					}
					got, err := m.next(ctx)
					if got != want || err != nil {
						return fmt.Errorf("reader%d read %q, %v; want %q", i, got, err, want)
					}
				}
				if _, err := m.s.Write(ctx, []byte("ack\n")); err != nil {
					return err
				}
				if doneCount++; doneCount == readers {
					done.Set()
				}
				return task.Sleep(ctx, time.Hour) // stay until the end
			})
		}
		var lost *sim.Host
		if crashOne {
			lost = w.Host("lost", func(ctx context.Context) error {
				m, err := simJoin(ctx)
				if err != nil {
					return err
				}
				defer m.s.Close()
				return task.Sleep(ctx, time.Hour)
			})
		}
		return task.FailAfter(ctx, 10*time.Minute, func(ctx context.Context) error {
			if err := joined.Wait(ctx); err != nil {
				return err
			}
			if lost != nil {
				lost.Crash()
				crashedAt = task.Now(ctx)
			}
			if err := pasted.Wait(ctx); err != nil {
				return err
			}
			if err := done.Wait(ctx); err != nil {
				return err
			}
			for len(acks) < readers { // the paster hears every answer
				if err := task.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
			}
			if d := task.Now(ctx).Sub(crashedAt); crashOne && d > time.Minute {
				t.Errorf("the readers were done %v after the crash: held back by the crashed member", d)
			}
			if !crashOne {
				return nil
			}
			if err := left.Wait(ctx); err != nil {
				return err
			}
			if d := leftAt.Sub(crashedAt); d < simUserTimeout || d > simUserTimeout+time.Minute {
				t.Errorf("the room said the crashed member left %v after the crash; want just after the user timeout (%v)", d, simUserTimeout)
			}
			return nil
		})
	}, sim.Latency(time.Millisecond, 30*time.Millisecond), sim.Loss(0.02), sim.UserTimeout(simUserTimeout))
}

// The burst bug: 70 lines in one write by one member, 20
// others connected over a lossy, latent network. The room used to
// disconnect healthy readers: the 70 lines arrived in one read, its
// reader passed them on without letting any writer run, and a queue of
// 64 lines "full" meant "not reading". Nobody may be disconnected.
func TestSimChatBurstDisconnectsNobody(t *testing.T) {
	simBurst(t, 20, 70, false)
}

// The same burst with one more member whose host has crashed: the others
// get every line and answer, undelayed by the silent one, and once the
// server's TCP gives up on it (the user timeout) the room says it left.
func TestSimChatBurstWithACrashedMember(t *testing.T) {
	simBurst(t, 20, 70, true)
}
