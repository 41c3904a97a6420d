package timer_test

import (
	"fmt"

	"github.com/f04742a6/reactor/timer"
)

func Example() {
	q := timer.New[string]()
	a, b, c := &timer.Timer[string]{Value: "a"}, &timer.Timer[string]{Value: "b"}, &timer.Timer[string]{Value: "c"}
	q.Add(a, 20)
	q.Add(b, 10)
	q.Add(c, 20) // same deadline as a: fires after it
	q.Remove(b)  // really removed: the queue holds two timers
	fmt.Println(q.Len())
	for t := q.PopDue(30); t != nil; t = q.PopDue(30) {
		fmt.Println(t.Value, t.When())
	}
	// Output:
	// 2
	// a 20
	// c 20
}
