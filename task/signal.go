package task

import (
	"os"
	"os/signal"
)

// catchInterrupt turns SIGINT into cancellation of the whole run: every
// task unwinds through its deferred cleanup and Run returns an error
// matching ErrInterrupted. It returns the function that restores the
// previous disposition.
func (r *runner) catchInterrupt() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ch:
				r.loop.CallSoonThreadsafe(func() {
					if r.sigintReceivers > 0 {
						return // a SignalReceiver takes SIGINT
					}
					if r.failure == nil {
						r.failure = ErrInterrupted
					}
					r.top.cancel(reasonInterrupt, "")
				})
			case <-quit:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
		<-done
	}
}
