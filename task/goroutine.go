package task

import (
	"sync"

	"github.com/f04742a6/reactor/internal/goroutines"
)

// coroutines maps the goroutine id of every live coroutine (of every Run
// in the process) to it. It is the package's one process-wide table, and
// it exists because Go has no goroutine-local state: a method without a
// ctx (TryLock on an idle Lock) finds its task through it, and the
// watchdog finds the goroutine of a task that blocks its loop. It changes
// only when a coroutine goroutine starts or exits (they are pooled), never
// per task switch.
var coroutines sync.Map // uint64 -> *coro

// callerTask returns the task running on the calling goroutine, or nil if
// the caller is not a task's coroutine.
func callerTask() *Task {
	v, ok := coroutines.Load(goroutines.ID())
	if !ok {
		return nil
	}
	t := v.(*coro).job.Load() // this goroutine's own coroutine: it is running t
	if t == nil || t.r.current != t {
		return nil
	}
	return t
}
