// Package task is structured concurrency on the event loop: tasks written
// as ordinary sequential Go functions, started only in nurseries, and
// cancelled through level-triggered cancel scopes. It is the one import for
// concurrency, like Trio's namespace.
//
// # Tasks
//
// A task body is a func(ctx context.Context) error. It runs as a coroutine
// (iter.Pull) on a pooled goroutine, so starting a task normally creates no
// goroutine, and only one task of a loop runs at a time: tasks of one loop
// never race and need no locks between them. Each task has an explicit
// state machine (New, Runnable, Running, Blocked, Done) that only the loop
// changes; an illegal transition is an internal bug and panics with the
// task's name. Run returns when main and every task have finished and
// every coroutine goroutine has exited.
//
// # Checkpoints
//
// Every blocking call is a checkpoint: it checks for cancellation first,
// even when it could complete at once. An operation that completes at once
// yields to the other tasks only when the task's fairness budget is spent:
// a task yields at least once every 64 such operations, so none can starve
// the others. Checkpoint always yields.
//
// # Cancellation
//
// Cancellation is a state, not an event. Once a scope is cancelled
// (Scope.Cancel, its deadline, or an enclosing scope, unless shielded),
// every blocking call made inside it returns an error matching
// ErrCancelled and context.Canceled, every time, also in deferred cleanup.
// A task blocked when its scope is cancelled is woken before Cancel
// returns. The error records the scope that will catch it: the outermost
// cancelled scope seen from the call without crossing a shield. That scope
// turns it into nil when its closure returns (FailAfter/FailAt into an
// error matching ErrTimeout and context.DeadlineExceeded); other errors,
// and cancellations from other scopes, pass through, and an error joined
// with a cancellation keeps both. Shield is the way to do graceful cleanup:
// a shielded scope ignores outer cancellation, and its own deadline still
// applies.
//
// The ctx a scope hands its closure is a real context.Context: Done, Err,
// Deadline and Value work, and a context wrapped around it (say
// context.WithTimeout) is honoured by blocking calls. A ctx belongs to one
// task; using it from another task, a loop callback or another goroutine
// panics and says what to use instead.
//
// Negative durations count as zero (a deadline already past), as with
// context.WithTimeout.
//
// # Nurseries
//
// WithNursery is the only way to start tasks, and it returns only when all
// of them have finished. The first failure cancels the nursery; failures
// are joined in the order they happened; a child's panic is re-raised in
// the parent as a *PanicError carrying the original value and the child's
// stack, once the siblings have finished. GoService starts tasks that the
// nursery cancels by itself when the rest is done. Start waits for a child
// to report that it is ready; Spawn returns a typed Handle.
//
// When every task is blocked and nothing can wake one (no timer, no watched
// fd, no busy thread worker, no open Token), Run cancels everything so that
// cleanup runs, and returns an error matching ErrDeadlock with the task
// tree.
//
// # Channels and synchronisation
//
// NewChannel makes a memory channel (capacity 0 is a rendezvous) whose
// ends are cloned and closed independently. Nothing is lost: a Send that
// returned nil handed its value over, one that returned an error did not,
// even when cancellation races with the hand-off; closing the last receive
// end reports how many buffered values it discarded. Leases go further: a
// value taken with ReceiveLease returns to the front of the channel unless
// it is acknowledged, also when its holder fails or is cancelled, and
// SendAndWait waits for that acknowledgement.
//
// Event, Lock, Semaphore, Condition and CapacityLimiter hand a freed
// resource straight to the first waiter (FIFO, no barging); a cancelled
// acquire acquires nothing. A Lock whose owner ends without unlocking is
// broken: waiters get ErrBrokenResource instead of hanging. These objects
// belong to one loop. Methods without a ctx (Unlock, Release, TryLock)
// find the calling task through the loop the object was first used on:
// TryLock needs a Lock that has been used with Lock(ctx).
//
// # Threads, time and signals
//
// ToThread runs blocking code on another goroutine with a ctx cancelled
// along with the caller's scope; FromThread runs code back on the loop,
// inside the caller's scope. Time comes from the loop's clock: WithClock
// with a MockClock (and autojump) makes hour-long timeouts take no real
// time; autojump never happens while a thread worker is busy.
// WaitAllTasksBlocked waits until the loop is idle. Run turns SIGINT into
// cancellation of every task and then returns an error matching
// ErrInterrupted.
package task
