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
// A task switch costs one coroutine switch: when a task yields and the
// loop has nothing else to do before the next batch of runnable tasks, the
// yielding task runs that batch itself (its own turn included: a lone
// task's Checkpoint switches to nothing). Callbacks, timers that came due,
// cross-thread calls and I/O (polled at least every 256 tasks run) still
// come between batches as the loop's phases say: the yielding task hands
// over to the loop as soon as any of them is waiting.
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
// The ctx a scope hands its closure is a real context.Context, and its
// Done, Err, Deadline and Value are safe from any goroutine, so the
// standard library's consumers (context.AfterFunc, context.WithCancel,
// exec.CommandContext, net.Dialer) work with it. Done closes, and Err turns
// non-nil, whenever the scope becomes effectively cancelled: its own
// Cancel or deadline (also a deadline found passed at a checkpoint), or an
// enclosing scope's cancellation, never across a shield; Err is
// context.DeadlineExceeded when a deadline was the cause. Once closed, Done
// stays closed. Deadline is the effective deadline on the loop's clock:
// under a MockClock it is mock time, which the standard library reads as
// wall time (hand a mock-clock ctx to code that times out on its own and
// it will time out in real time).
//
// A ctx ends with what it belongs to: a scope's ctx is Done, with Err
// context.Canceled (or the cancellation it had before), once its closure
// has returned; a task's once the task has ended; main's and the run's
// root once Run returns. So `go worker(ctx)` never outlives its scope, and
// a context.WithCancel child of a task ctx needs no cancel call to be
// released. A blocking call made with the ctx of a scope that has exited
// fails at once with an error matching context.Canceled.
//
// A context.Context wrapped around a task ctx (context.WithTimeout,
// WithDeadline, WithCancel, WithCancelCause, WithValue, any depth) acts as
// an enclosing scope for everything made with it: blocking calls, and
// every scope, nursery and streams.Serve opened on it. Its deadline runs
// on the loop's clock (under a MockClock, context.WithTimeout's wall-clock
// deadline is read as mock time); its cancellation, from any goroutine,
// wakes the task on the loop; its values stay visible inside; and the
// error matches ErrCancelled and the wrapper's cause
// (context.DeadlineExceeded for a deadline, WithCancelCause's cause). Like
// an enclosing scope's, that cancellation passes through the scopes inside
// it (MoveOnAfter does not report it as its own timeout) and a shield
// opened on the wrapper keeps it out. A wrapper that adds nothing that can
// end (WithValue alone) costs nothing.
//
// FailAfter and FailAt do not drop the error of the operation their
// deadline interrupted: fn's error comes back with its operation, its
// resource and fn's own wrapping ("reading reply: Sleep: timed out:
// FailAfter deadline ... passed in task ..."), matching ErrTimeout and
// context.DeadlineExceeded and no longer ErrCancelled.
//
// Only the blocking calls are restricted: a ctx belongs to one task, and
// using it to block from another task, a loop callback or another
// goroutine panics and says what to use instead.
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
// broken: waiters get ErrBrokenResource instead of hanging. The zero Event
// and Lock, and a fresh Semaphore and CapacityLimiter, are ready for every
// method. An object (channels too) is tied to a loop only while it is in
// use there: held, borrowed, leased or waited on. An idle one belongs to
// no loop, so package-level values serve one Run after another. Using an
// object in use on another loop panics, and so does a method without a
// ctx (Set, Unlock, Release, Try*, Close) called from a foreign goroutine
// while the object's loop is blocked waiting; hand such work to the loop
// with a Token or FromThread. (A foreign call racing with running tasks
// cannot be told apart without a goroutine id on every call; the race
// detector reports it.) Methods without a ctx find the calling task
// through the loop the object is in use on; on an idle object, TryLock
// and Release look the calling goroutine up instead (about 2 µs).
//
// # Threads, time and signals
//
// ToThread runs blocking code on another goroutine, limited by a
// CapacityLimiter (DefaultThreadLimiter, 40 tokens, or Limiter(l)). The
// worker's ctx is the caller's: it carries the caller's effective
// deadline, is cancelled with the caller's scope, and says
// context.DeadlineExceeded when a deadline was the cause. A cancellation
// that arrives while the worker runs is returned joined with the worker's
// own error, so MoveOnAfter and FailAfter report their timeout even when
// the worker returns something else (os/exec's "signal: killed").
// FromThread runs code back on the loop, inside the caller's scope. Time
// comes from the loop's clock: WithClock with a MockClock (and autojump)
// makes hour-long timeouts take no real time; autojump never happens while
// a thread worker is busy. WaitAllTasksBlocked waits until the loop is
// idle.
//
// WithParent(ctx) runs the whole loop under ctx: when ctx is done, every
// task is cancelled as by a signal and Run returns an error matching ctx's
// cause; ctx's values and deadline are every task's. From a goroutine
// outside the loop, a Token runs work on it (Token.Run), and
// Token.RunContext bounds that work by the caller's ctx: the pattern for
// an HTTP handler that calls into a loop with its request's ctx.
//
// WithPoller(p) runs the loop on another readiness backend (a simulated
// one, say); Run owns p and closes it when it returns, and RunParallel
// refuses it for more than one loop. WithSeed shuffles each batch of
// tasks and the loop's callbacks with one generator: one seed orders a
// run.
//
// Run turns SIGINT and SIGTERM (WithSignals chooses others; WithSignals()
// none) into cancellation of every task, and then returns an error
// matching ErrInterrupted ("task: interrupted by SIGTERM"). A second such
// signal while the cleanup still runs restores the default disposition
// and raises the signal again: pressing Ctrl-C twice ends a program whose
// cleanup hangs, or whose loop is blocked: the second signal is handled
// without the loop. A first signal the loop cannot take within the
// watchdog threshold is logged with the blocking task and its line. A
// signal that was ignored when Run started (a script's `cmd &`) stays
// ignored. While an OpenSignalReceiver for a signal is open, the
// receiver gets it instead.
//
// Closing an fd does not wake a task waiting on it in WaitReadable or
// WaitWritable (the kernel's poller forgets a closed fd silently): call
// NotifyClosing(ctx, fd) first, which wakes the waiters with
// ErrClosedResource.
//
// # Blocking the loop
//
// Every task of a loop runs on the loop's thread, one at a time, and only
// a checkpoint lets another run. A call that blocks the goroutine instead
// of parking the task freezes every task of the loop, its timers and its
// I/O until it returns. In a task, these block the loop:
//
//   - receiving from or sending to a Go channel, select, sync.WaitGroup.Wait;
//   - sync.Mutex, sync.RWMutex and sync.Cond;
//   - time.Sleep and <-time.After;
//   - net.Conn, net.Listener, os.File reads of pipes and terminals, and
//     anything built on them (net/http clients, database/sql, gRPC);
//   - cgo calls and blocking system calls.
//
// Use instead: task channels (NewChannel), Lock, Event, Semaphore,
// Condition; Sleep and the scopes' deadlines; the streams package for
// sockets; and ToThread, with the worker's ctx, for anything else that
// blocks (a database driver, a file system, exec.Command).
//
// The watchdog shows it while it happens: once a task has run past the
// threshold (WithSlowTask, default 100 ms) without reaching a checkpoint,
// it logs, through log/slog, the task's name, the time so far and the
// program's own frames of the task's goroutine, from the blocking line
// down, one short attribute each (at, calls, stack.N); again at doubling
// intervals while it lasts; and the total when the task yields. In tests,
// WithFailOnBlock makes it an error: Run fails with ErrBlockedLoop. An idle loop does not wake up for it. Under a MockClock,
// durations are mock time and a slow task is reported when it yields.
//
// # Names
//
// A task is named after its function ("pkg.Handler"); a function
// literal, whose generated name says little, also gets its file and line
// ("main.main.func2 (main.go:42)"). The name is made only when asked for
// (Dump, errors, the watchdog), so naming costs spawning nothing. Name
// sets one. Errors name the public operation that failed ("Sleep:
// cancelled: deadline passed in task ...").
//
// # Building I/O on tasks
//
// Package streams is built on a few pieces exported for any layer of its
// kind (a user's program needs none of them):
//
//   - RegisterFD returns a PollFD: an fd registered with the loop for its
//     life (a system call to open it, one to close it, none per wait), one
//     waiting task per direction (WaitReadable, WaitWritable). Its
//     readiness is the registration's, the poller's one record of it:
//     Ready, and what the bits mean for a caller, CanRead, CanWrite and
//     HungUp (hang-up or error, which Consume cannot clear); Consume says
//     a call would block. Close is safe from any goroutine.
//   - Slot: the parking spot of one task, woken by another.
//   - Binding ties an object to the loop of the tasks that use it: Bind it
//     in every operation that has a ctx, and Do runs its Close on that loop
//     from any goroutine (at once in a task of the loop, else on the
//     loop's next turn, or when Run returns if the loop had no turn left).
//     A PollFD's Close is such a Do.
//   - LoopRef (CurrentLoop) is the loop itself: Post runs a callback on it
//     exactly once, InTask says whether the caller is one of its tasks.
//   - CheckCancelled and Progress, the two halves of a checkpoint for an
//     operation that may complete at once: CheckCancelled first, Progress
//     after it completed without waiting (the yield the fairness budget
//     calls for).
//
// WaitReadable and WaitWritable wait on a raw fd its caller owns: it is
// registered only while a task waits on it.
//
// A PollFD belongs to the Run whose task registered it: waiting on it, or
// calling its CheckCancelled, from a task of another Run, or of a Run
// started after it ended, panics, naming the fd, the task that made it and
// what to do instead; Close is safe from anywhere, at any time. When Run
// returns, every PollFD still open is unregistered and reported, one
// warning each through the Run's logger, naming what it is, its addresses
// and the task that made it. One whose fd was handed to an owner with Own
// (every socket and listener of package streams) is closed through that
// owner; a raw one (RegisterFD alone) keeps its fd open, for its owner to
// close.
//
// # More than one core
//
// One loop is one core. RunParallel runs n loops on n OS threads, each
// with its own main; see its documentation for how they fail together and
// hand work to each other.
package task
