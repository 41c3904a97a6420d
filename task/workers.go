package task

import "sync"

// workerPool runs ToThread calls on pooled goroutines: a call finds an
// idle worker if there is one and starts a goroutine only if not, so the
// goroutines of a run number at most its peak of concurrent calls (which
// the thread limiter bounds). Workers live until the run ends: then Run
// closes the pool and waits for them, so nothing outlives it.
//
// The zero value is ready; start and the jobs' completion are called from
// the loop, close once, after every job has finished.
type workerPool struct {
	jobs    chan func() // unbuffered: a send succeeds only into an idle worker
	busy    sync.WaitGroup
	workers sync.WaitGroup
}

// start runs job on an idle worker or a new one. Cost: a channel hand-off
// (~0.3 µs), or a goroutine start the first times.
func (p *workerPool) start(job func()) {
	if p.jobs == nil {
		p.jobs = make(chan func())
	}
	p.busy.Add(1)
	select {
	case p.jobs <- job:
	default:
		p.workers.Add(1)
		go p.work(job)
	}
}

func (p *workerPool) work(job func()) {
	defer p.workers.Done()
	for ok := true; ok; job, ok = <-p.jobs {
		job()
		p.busy.Done()
	}
}

// wait blocks until every job started has finished.
func (p *workerPool) wait() { p.busy.Wait() }

// close stops the idle workers and waits for them to exit. Call it after
// wait, when no job can start any more.
func (p *workerPool) close() {
	if p.jobs != nil {
		close(p.jobs)
	}
	p.workers.Wait()
}
