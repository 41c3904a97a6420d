package task

import "context"

// WaitAllTasksBlocked blocks until every other task is blocked and the
// loop has nothing to do: no callback ready, no I/O ready, no thread
// worker busy. Tasks sleeping on timers count as blocked. It runs before
// an autojumping clock jumps. For tests.
func WaitAllTasksBlocked(ctx context.Context) error {
	t, c := current(ctx, "WaitAllTasksBlocked")
	if err := t.check(ctx, c, "WaitAllTasksBlocked"); err != nil {
		return err
	}
	return t.r.idleWait.park(ctx, c, t, "WaitAllTasksBlocked")
}
