package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// readUntilEnd reads s until it fails and returns what came and how it
// ended.
func readUntilEnd(ctx context.Context, s streams.Stream) (string, error) {
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got), err
		}
	}
}

// Bad input from one member: the room answers or drops that member and
// goes on; the other member sees only what it should.
func TestBadInputFromAMember(t *testing.T) {
	tests := []struct {
		name string
		send string
		// leave closes the bad member's stream after sending.
		leave bool
		// wantBad is what the bad member reads before its connection ends.
		wantBad string
		// wantOther is what the other member (guest1) reads after
		// "guest2 joined".
		wantOther string
	}{
		{"10 MiB line", strings.Repeat("x", 10<<20), false, tooLong, "guest2 left\n"},
		{"garbage bytes", "\x00\xff\xfe\x1b[2J\n", true, "", "guest2: \x00\xff\xfe\x1b[2J\nguest2 left\n"},
		{"half-sent line", "no newline", true, "", "guest2 left\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := task.Run(func(ctx context.Context) error {
				l := streams.NewMemoryListener(64 << 10)
				r := newRoom(8)
				return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, r.serve) })
					other, err := l.Dial(ctx)
					if err != nil {
						return err
					}
					defer other.Close()
					task.WaitAllTasksBlocked(ctx) // other joined first: the bad member is guest2
					bad, err := l.Dial(ctx)
					if err != nil {
						return err
					}
					defer bad.Close()
					otherLines := streams.NewBufferedReader(other, 1<<20)
					if line, err := otherLines.ReadLine(ctx); err != nil || string(line) != "guest2 joined" {
						// The other is guest2? Names go by arrival.
						_ = line
					}
					task.WithNursery(ctx, func(ctx context.Context, w *task.Nursery) error {
						w.Go(func(ctx context.Context) error {
							bad.Write(ctx, []byte(tt.send)) // fails once the room drops it
							if tt.leave {
								bad.Close()
							}
							return nil
						})
						if tt.leave {
							return nil
						}
						got, err := readUntilEnd(ctx, bad)
						if got != tt.wantBad || (err != io.EOF && !errors.Is(err, task.ErrClosedResource)) {
							t.Errorf("the bad member read %.100q, then %v; want %q, then its connection closed", got, err, tt.wantBad)
						}
						return nil
					})
					var got strings.Builder
					for got.Len() < len(tt.wantOther) {
						line, err := otherLines.ReadLine(ctx)
						if err != nil {
							t.Errorf("the other member, after %q: %v", got.String(), err)
							break
						}
						got.Write(line)
						got.WriteString("\n")
					}
					if got.String() != tt.wantOther {
						t.Errorf("the other member read %.100q; want %q", got.String(), tt.wantOther)
					}
					if len(r.members) != 1 {
						t.Errorf("%d members; want 1, the other", len(r.members))
					}
					n.Cancel()
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
