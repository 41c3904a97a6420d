package loop_test

import (
	"fmt"
	"time"

	"github.com/f04742a6/reactor/loop"
)

// A loop runs callbacks one batch at a time; a mock clock with autojump
// makes an hour of timers take no real time.
func Example() {
	clock := loop.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	l, err := loop.New(loop.WithClock(clock))
	if err != nil {
		panic(err)
	}
	defer l.Close()

	start := l.Now()
	l.CallLater(time.Hour, func() {
		fmt.Println("an hour later:", l.Now().Sub(start))
		l.Stop()
	})
	l.CallSoon(func() {
		fmt.Println("first batch")
		l.CallSoon(func() { fmt.Println("next batch") })
	})
	if err := l.Run(); err != nil {
		panic(err)
	}
	// Output:
	// first batch
	// next batch
	// an hour later: 1h0m0s
}

// CallSoonThreadsafe is how another goroutine hands work to the loop.
func ExampleLoop_CallSoonThreadsafe() {
	l, err := loop.New()
	if err != nil {
		panic(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.CallSoonThreadsafe(func() {
			fmt.Println("ran on the loop")
			l.Stop()
		})
	}()
	if err := l.Run(); err != nil {
		panic(err)
	}
	<-done
	// Output: ran on the loop
}
