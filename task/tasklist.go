package task

// taskList is an intrusive doubly linked list of tasks: a task carries its
// own links, one pair per list kind, so joining or leaving a list is O(1)
// and allocates nothing. A task is on at most one list of each kind: the
// runner's list of live tasks, and the task list of its innermost scope.
type taskList struct {
	head *Task
	kind listKind
}

type listKind uint8

const (
	liveTasks  listKind = iota // runner.all
	scopeTasks                 // Scope.tasks
)

// taskLinks is a task's place in one list.
type taskLinks struct{ prev, next *Task }

func (l *taskList) links(t *Task) *taskLinks { return &t.links[l.kind] }

// push puts t at the front. O(1).
func (l *taskList) push(t *Task) {
	lt := l.links(t)
	lt.prev, lt.next = nil, l.head
	if l.head != nil {
		l.links(l.head).prev = t
	}
	l.head = t
}

// remove takes t out. O(1).
func (l *taskList) remove(t *Task) {
	lt := l.links(t)
	if lt.prev != nil {
		l.links(lt.prev).next = lt.next
	} else {
		l.head = lt.next
	}
	if lt.next != nil {
		l.links(lt.next).prev = lt.prev
	}
	lt.prev, lt.next = nil, nil
}

// next returns the task after t, for iteration: for t := l.head; t != nil; t = l.next(t).
func (l *taskList) next(t *Task) *Task { return l.links(t).next }
