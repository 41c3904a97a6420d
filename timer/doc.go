// Package timer is the event loop's timer queue: a B-tree
// (github.com/google/btree) of timers ordered by (deadline, sequence), so
// that timers with equal deadlines fire in the order they were added.
//
// Removal is real removal. asyncio keeps a cancelled handle in its heap
// until its deadline comes round, which lets a server that sets and cancels
// a long timeout per request grow its heap without bound; here a removed
// timer leaves the queue at once and its memory can be reused.
//
// Most timers are timeouts that are removed before they fire, in the loop
// turn that added them or a few turns later. A timer therefore waits in a
// short, unsorted staging list (add and remove O(1), its earliest deadline
// kept) until one staged timer comes due or the list holds more than 256;
// then the staged timers move into the tree. A timer removed before that
// never touches the tree. Cost: Add and Remove O(1) while staged, O(log n)
// in the tree; Next O(1) unless the staged minimum was just removed
// (O(256)); PopDue O(log n) per timer.
//
// Deadlines are int64 nanoseconds on whatever clock the caller uses. The
// queue is not safe for concurrent use.
package timer
