package task

import (
	"sync"
	"sync/atomic"
)

// workerPool runs ToThread calls on pooled goroutines: a call goes to an
// idle worker if there is one and starts a goroutine only if not, so the
// goroutines of a run number at most its peak of concurrent calls (which
// the thread limiter bounds). Workers live until the run ends: then Run
// closes the pool and waits for them, so nothing outlives it.
//
// The zero value is ready; start is called from the loop, close once,
// after wait, when no job can start any more.
type workerPool struct {
	// Invariant: idle counts the workers that have finished their job, or
	// are about to receive from jobs; each start that decrements it sends
	// one job, which one of them will receive.
	idle    atomic.Int64
	jobs    chan func() func()
	busy    sync.WaitGroup // jobs started and not finished
	workers sync.WaitGroup // worker goroutines alive
}

// start runs work on an idle worker or a new one; the function work
// returns is called on the worker once it counts as idle again (ToThread
// hands its result to the loop there, so a call made right after finds
// the worker). Cost: a buffered channel send, or a goroutine start.
func (p *workerPool) start(work func() (after func())) {
	if p.jobs == nil {
		p.jobs = make(chan func() func(), 256)
	}
	p.busy.Add(1)
	for n := p.idle.Load(); n > 0; n = p.idle.Load() {
		if !p.idle.CompareAndSwap(n, n-1) {
			continue
		}
		select {
		case p.jobs <- work:
			return
		default: // more idle workers than the buffer holds: start another
			p.idle.Add(1)
		}
		break
	}
	p.workers.Add(1)
	go p.work(work)
}

func (p *workerPool) work(job func() func()) {
	defer p.workers.Done()
	for ok := true; ok; job, ok = <-p.jobs {
		after := job()
		p.idle.Add(1)
		after()
		p.busy.Done()
	}
}

// wait blocks until every job started has finished.
func (p *workerPool) wait() { p.busy.Wait() }

// close stops the idle workers and waits for them to exit.
func (p *workerPool) close() {
	if p.jobs != nil {
		close(p.jobs)
	}
	p.workers.Wait()
}
