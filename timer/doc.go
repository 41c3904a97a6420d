// Package timer is the event loop's timer queue: a B-tree
// (github.com/google/btree) of timers ordered by (deadline, sequence), so
// that timers with equal deadlines fire in the order they were added.
//
// Removal is real removal. asyncio keeps a cancelled handle in its heap
// until its deadline comes round, which lets a server that sets and cancels
// a long timeout per request grow its heap without bound; here a removed
// timer leaves the queue at once and its memory can be reused.
//
// Most timers are timeouts that are removed before they fire, usually in
// the same loop turn that added them. A timer therefore waits in a short
// staging list until the queue is next asked for its earliest deadline or
// its due timers (once per loop turn); a timer removed before that costs
// O(1) and never touches the tree.
//
// Deadlines are int64 nanoseconds on whatever clock the caller uses. The
// queue is not safe for concurrent use.
package timer
