package task

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
)

// coroutines maps the goroutine id of every live coroutine (of every Run
// in the process) to it. It is the package's one process-wide table, and
// it exists because Go has no goroutine-local state: a method without a
// ctx (TryLock on an idle Lock) finds its task through it, and the
// watchdog finds the goroutine of a task that blocks its loop. It changes
// only when a coroutine goroutine starts or exits (they are pooled), never
// per task switch.
var coroutines sync.Map // uint64 -> *coro

// goid returns the calling goroutine's id, parsed from the header of its
// stack trace ("goroutine 18 [running]:"). It costs about 2 µs.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

// callerTask returns the task running on the calling goroutine, or nil if
// the caller is not a task's coroutine.
func callerTask() *Task {
	v, ok := coroutines.Load(goid())
	if !ok {
		return nil
	}
	t := v.(*coro).job.Load() // this goroutine's own coroutine: it is running t
	if t == nil || t.r.current != t {
		return nil
	}
	return t
}
