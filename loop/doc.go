// Package loop is the single-threaded event loop, with an asyncio-like
// surface: CallSoon, CallLater, CallAt, CallSoonThreadsafe, AddReader,
// AddWriter, Now, Run, Stop and Close. It is the callback layer; package
// task builds sequential tasks with structured concurrency on it.
//
// # One iteration
//
// Each turn of Run has four phases, in this order (compare libuv's loop
// phases and asyncio's _run_once):
//
//  1. Poll. If callbacks, Scheduler items or cross-thread callbacks are
//     ready, the loop does not poll, unless it ran 256 callbacks since the
//     last poll; then it polls without blocking. If idle callbacks
//     (CallWhenIdle) wait, it polls without blocking and, if nothing at all
//     turned up, makes them ready. Otherwise, if its last turn took
//     cross-thread callbacks, it spins for a few microseconds on its inbox
//     (see spinForInbox), and then blocks until I/O, a wake-up, or the next
//     timer's deadline (rounded up by the poller, so it never wakes early).
//     Before blocking it yields its P (runtime.Gosched) if callbacks ran
//     or the Scheduler woke goroutines since it last blocked, so that
//     goroutines they made runnable do not wait for the runtime to retake
//     the P.
//     Each fd callback whose fd became ready is appended to the ready
//     queue.
//  2. Timers. Every timer whose deadline has passed is appended, in
//     deadline order; equal deadlines in the order they were scheduled.
//  3. Inbox. Up to the inbox budget (default 1024) of callbacks from
//     CallSoonThreadsafe are appended, in the order they were handed over;
//     the rest wait for the next turn, so another goroutine cannot starve
//     the loop's own work.
//  4. Run. The callbacks that are ready at this point run, first in first
//     out (or in a reproducibly shuffled order with WithSeed), then the
//     items the Scheduler has ready at this point. A callback or item
//     scheduled while they run, with zero delay or not, waits for the next
//     iteration: one that reschedules itself cannot starve others.
//
// Stop ends Run after the batch of the current iteration.
//
// # Readiness
//
// The loop watches an fd one way: a [Registration] (Register), which
// registers it with the poller once, for both directions, and hears every
// new edge; the fd's readiness is the poller's one record, read with
// Registration.Ready. AddReader and AddWriter are callbacks on a
// registration the loop makes for them (and closes when both are
// removed). fd callbacks are therefore edge-triggered: a reader runs when
// its fd becomes readable and must read until a read would block or comes
// up short. The loop then considers the readiness consumed. This is the
// one deliberate difference from asyncio's level-triggered add_reader: it
// saves a system call per event, and a hung-up or failed fd cannot make
// the loop spin.
//
// # Time
//
// All time comes from the loop's [Clock]: the monotonic clock by default,
// or a [MockClock] whose time moves only when told to (Jump), or by itself
// when the loop is idle and autojump is on. The only real-time reading the
// loop makes is the autojump threshold, which is defined in real time.
//
// # Building a scheduler on the loop
//
// A layer that runs many small work items of its own (package task runs
// tasks) meets the loop through one interface, [Scheduler], installed
// with SetScheduler: the loop asks it how many items are ready, runs them
// one by one with RunNext in its batch phase (after the callbacks, with
// the same fairness: items made ready meanwhile wait for the next
// iteration, and I/O is still polled every 256), tells it with Idle
// when the loop is idle, and asks WokeGoroutines before it blocks (a
// scheduler that hands work to goroutines, as task's thread workers, says
// so, and the loop yields its P first). Waking an item is then the
// scheduler's own queue push, with no callback record.
//
// A scheduler may also skip the loop's turn between two of its batches
// when that turn would do nothing else: from inside RunNext, once its
// batch has run, ElideTurn says whether the loop has anything waiting (a
// callback, a due timer, a cross-thread call, an I/O poll that is due,
// Stop, Instruments) and, if not, counts the turn as run; the scheduler
// then runs its next batch in place, calling NextItem between items so
// that the watchdog times each one, and RunNext returns how many items of
// that batch are left for the loop to run. Package task uses this so that
// a task which yields resumes the next task itself: one coroutine switch
// instead of two and a loop turn. Besides these, such a layer uses only the
// loop's public surface: Register, for the fds its items wait on; the
// loop's generator (Rand), to shuffle its batches with WithSeed's seed;
// the wake sources, to tell whether anything could still wake the loop
// (deadlock detection: Pending counts the timers and the wake sources,
// which are the registrations something awaits (SetAwaited), the open
// Expects, for work another goroutine may still hand over, and the open
// Holds, for work in flight elsewhere that also keeps the loop from
// counting as idle, like thread workers); and the watchdog's hooks,
// WithSlowReport and WithStallReport, to name its items in reports (they
// come as callbacks of KindScheduled).
//
// # Misuse
//
// Methods other than CallSoonThreadsafe belong to the loop's goroutine. A
// call from another goroutine while the loop is blocked in its poller
// panics with a message saying to use CallSoonThreadsafe (the check is one
// atomic load; calls racing with running callbacks are left to the race
// detector). Adding a second reader or writer for one fd panics, as does
// Run on a closed loop. An invalid or closed fd gives an error that names
// the fd and the operation.
//
// # Observability
//
// A watchdog reports, through log/slog, every callback that ran longer than
// the threshold (default 100 ms, WithSlowCallback) with its function name.
// Stats returns counters (iterations, callbacks, polls, timers), and
// Instruments are hooks around each poll and each callback.
package loop
