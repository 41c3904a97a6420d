package task

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
)

// closeLeftovers closes and reports, once, whatever is still open on the
// run's loop when Run ends (sockets, listeners, registrations): one log
// record each, at warning level, through the run's logger, oldest first.
// It runs on the loop's goroutine after teardown (no task is left, and
// the run is marked ended) and before the loop closes.
//
// Nothing is kept per operation for it: the loop's fd table already
// holds every registration (loop.Registrations), and each one points
// back at its PollFD.
func (r *runner) closeLeftovers() {
	log := r.cfg.logger
	// Raw fd waits (WaitReadable, WaitWritable) still watched: only a run
	// that gave up on tasks it could not unwind leaves one. The fd is the
	// caller's: stop watching it, never close it.
	var keys []fdKey
	for fd, x := range r.fdWatches {
		for dir, w := range x.waiting {
			if w != nil {
				keys = append(keys, fdKey{fd, dir})
			}
		}
	}
	slices.SortFunc(keys, func(a, b fdKey) int {
		return cmp.Or(cmp.Compare(a.fd, b.fd), cmp.Compare(a.dir, b.dir))
	})
	for _, key := range keys {
		w := r.fdWatches[key.fd].waiting[key.dir]
		r.unwatchFD(key)
		log.LogAttrs(context.Background(), slog.LevelWarn,
			"task: Run returned with an fd still watched; stopped watching it (the fd stays open: it is its owner's to close)",
			slog.String("what", fmt.Sprintf("fd %d (%s)", key.fd, waitOps[key.dir])),
			slog.Uint64("fd", uint64(key.fd)),
			slog.String("task", w.t.Name()))
	}
	for _, g := range r.loop.Registrations() {
		if f, ok := g.Owner().(*PollFD); ok && f.run() == r {
			f.leftover(log)
		}
	}
}

// leftover closes and reports f, still registered when its Run returned
// (see RegisterFD and Own).
func (f *PollFD) leftover(log *slog.Logger) {
	if f.closed.Load() {
		// Closed from another goroutine while the run ended: the rest of
		// that Close ran once the run had ended (Post's drain, or the
		// closing goroutine itself), which leaves the registration to us.
		// The user did close it: no report.
		f.reg.Close()
		return
	}
	what := f.what() // first: an owner may ask the kernel for its address
	f.reg.Close()
	if f.owner == nil {
		log.LogAttrs(context.Background(), slog.LevelWarn,
			"task: Run returned with an fd still registered; unregistered it (the fd stays open: RegisterFD without Own leaves it to its owner)",
			slog.String("what", what),
			slog.Uint64("fd", uint64(f.fd)),
			slog.String("task", f.maker()))
		return
	}
	attrs := []slog.Attr{
		slog.String("what", what),
		slog.Uint64("fd", uint64(f.fd)),
		slog.String("task", f.maker()),
	}
	if err := f.owner.Close(); err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(context.Background(), slog.LevelWarn,
		"task: Run returned with this still open; closed it (close it before its Run returns)", attrs...)
}
