//go:build unix

package streams_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// A Unix connect completes at once, so DialUnix makes its checkpoint
// itself: in a cancelled scope it fails, with a listener ready to accept.
func TestDialUnixInACancelledScope(t *testing.T) {
	run(t, func(ctx context.Context) error {
		path := filepath.Join(t.TempDir(), "s")
		l, err := streams.ListenUnix(ctx, path)
		if err != nil {
			return err
		}
		defer l.Close()
		return task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
			s.Cancel()
			c, err := streams.DialUnix(ctx, path)
			if err == nil {
				c.Close()
			}
			if !errors.Is(err, task.ErrCancelled) {
				t.Errorf("DialUnix in a cancelled scope: %v", err)
			}
			return nil
		})
	})
}
