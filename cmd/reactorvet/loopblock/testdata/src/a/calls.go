// Package a exercises the analyzer: every blocking call, in a task.
package a

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

type guarded struct {
	sync.Mutex
	n int
}

func blockingCalls() error {
	return task.Run(func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop: use task\.Sleep\(ctx, d\)`

		ch := make(chan int, 1)
		ch <- 1       // want `send on a Go channel blocks the event loop: use a task channel \(task\.NewChannel\) and Send\(ctx, v\)`
		_ = <-ch      // want `receive from a Go channel blocks the event loop: use a task channel \(task\.NewChannel\) and Receive\(ctx\)`
		v, ok := <-ch // want `receive from a Go channel`
		_, _ = v, ok
		<-time.After(time.Second) // want `receive from time\.After blocks the event loop: use task\.Sleep\(ctx, d\), or task\.MoveOnAfter/FailAfter`
		<-ctx.Done()              // want `receive from ctx\.Done\(\) blocks the event loop`
		for range ch {            // want `range over a Go channel blocks the event loop: use a task channel \(task\.NewChannel\) and its Receiver's All\(ctx\)`
		}
		select { // want `select without default blocks the event loop: use task channels \(task\.NewChannel\)`
		case v := <-ch:
			_ = v
		case ch <- 2:
		case <-ctx.Done():
		}
		select { // a poll: never blocks
		case v := <-ch:
			_ = v
		case ch <- 3:
		default:
		}

		var mu sync.Mutex
		mu.Lock() // want `\(\*sync\.Mutex\)\.Lock blocks the event loop: use a task\.Lock`
		mu.Unlock()
		var rw sync.RWMutex
		rw.Lock()  // want `\(\*sync\.RWMutex\)\.Lock blocks the event loop: use a task\.Lock`
		rw.RLock() // want `\(\*sync\.RWMutex\)\.RLock blocks the event loop: use a task\.Lock`
		var g guarded
		g.Lock() // want `\(\*sync\.Mutex\)\.Lock blocks the event loop`
		var l sync.Locker = &mu
		l.Lock() // want `\(sync\.Locker\)\.Lock blocks the event loop`
		var wg sync.WaitGroup
		wg.Wait() // want `\(\*sync\.WaitGroup\)\.Wait blocks the event loop: start the tasks in a nursery \(task\.WithNursery\)`
		cond := sync.NewCond(&mu)
		cond.Wait() // want `\(\*sync\.Cond\)\.Wait blocks the event loop: use a task\.Condition \(task\.NewCondition\)`

		c, _ := net.Dial("tcp", "127.0.0.1:1")                        // want `net\.Dial blocks the event loop: use streams\.DialTCP or streams\.DialUnix`
		_, _ = net.DialTimeout("tcp", "127.0.0.1:1", time.Second)     // want `net\.DialTimeout blocks the event loop: use streams\.DialTCP in task\.FailAfter`
		_, _ = (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:1") // want `\(\*net\.Dialer\)\.DialContext blocks the event loop: use streams\.DialTCP`
		_, _ = net.LookupHost("localhost")                            // want `net\.LookupHost blocks the event loop: run it in task\.ToThread`
		buf := make([]byte, 1)
		_, _ = c.Read(buf)  // want `\(net\.Conn\)\.Read blocks the event loop: use a streams\.Stream \(streams\.DialTCP`
		_, _ = c.Write(buf) // want `\(net\.Conn\)\.Write blocks the event loop: use a streams\.Stream`
		var tc *net.TCPConn
		_, _ = tc.Read(buf) // want `\(net\.Conn\)\.Read blocks the event loop`
		var ln net.Listener
		_, _ = ln.Accept()   // want `\(net\.Listener\)\.Accept blocks the event loop: use a streams\.Stream \(streams\.DialTCP, streams\.ListenTCP and streams\.Serve\)`
		_, _ = io.ReadAll(c) // want `io\.ReadAll of a net connection blocks the event loop: use a streams\.Stream`

		_, _ = http.Get("http://127.0.0.1:1/")                     // want `http\.Get blocks the event loop: run it in task\.ToThread\(ctx, func\(ctx context\.Context\) error \{ \.\.\. \}\) with the worker's ctx`
		_, _ = http.DefaultClient.Do(nil)                          // want `\(\*http\.Client\)\.Do blocks the event loop: run it in task\.ToThread`
		_ = http.ListenAndServe("127.0.0.1:0", nil)                // want `http\.ListenAndServe blocks the event loop: serve with streams\.ServeTCP, or run it in task\.ToThread`
		_, _ = http.Post("http://127.0.0.1:1/", "text/plain", nil) // want `http\.Post blocks the event loop`

		cmd := exec.Command("true")
		_ = cmd.Run()       // want `\(\*exec\.Cmd\)\.Run blocks the event loop: run it in task\.ToThread.*exec\.CommandContext`
		_, _ = cmd.Output() // want `\(\*exec\.Cmd\)\.Output blocks the event loop`
		_ = cmd.Wait()      // want `\(\*exec\.Cmd\)\.Wait blocks the event loop`

		_, _ = os.Stdin.Read(buf)        // want `\(\*os\.File\)\.Read blocks the event loop: run it in task\.ToThread`
		_, _ = io.ReadAll(os.Stdin)      // want `io\.ReadAll of an \*os\.File blocks the event loop: run it in task\.ToThread`
		sc := bufio.NewScanner(os.Stdin) // want `bufio\.NewScanner of an \*os\.File blocks the event loop`
		_ = sc
		_, _ = io.Copy(io.Discard, os.Stdin) // want `io\.Copy of an \*os\.File blocks the event loop`
		var line string
		_, _ = fmt.Scanln(&line) // want `fmt\.Scanln blocks the event loop: run it in task\.ToThread`

		var db *sql.DB
		_, _ = db.QueryContext(ctx, "SELECT 1") // want `\(\*sql\.DB\)\.QueryContext blocks the event loop: run it in task\.ToThread`
		return nil
	})
}

// A net.Conn from streams.Conn is task-friendly: its Read and Write are
// checkpoints.
func streamsConn() error {
	return task.Run(func(ctx context.Context) error {
		s, err := streams.DialTCP(ctx, "127.0.0.1:1")
		if err != nil {
			return err
		}
		c := streams.Conn(ctx, s)
		buf := make([]byte, 1)
		_, _ = c.Read(buf)
		_, _ = c.Write(buf)
		_, _ = streams.Conn(ctx, s).Read(buf)
		_, _ = io.ReadAll(c)
		_ = bufio.NewReader(c)
		var other net.Conn = c
		_, _ = other.Read(buf)
		return nil
	})
}

// The fix: the same calls on a worker thread are not reported, nor on a
// goroutine of their own, nor in a timer's function.
func toThread() error {
	return task.Run(func(ctx context.Context) error {
		ch := make(chan int)
		var mu sync.Mutex
		err := task.ToThread(ctx, func(ctx context.Context) error {
			time.Sleep(time.Millisecond)
			mu.Lock()
			mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
			}
			_, _ = io.ReadAll(os.Stdin)
			_, _ = http.Get("http://127.0.0.1:1/")
			return exec.CommandContext(ctx, "true").Run()
		})
		go func() {
			ch <- 1
			time.Sleep(time.Millisecond)
		}()
		time.AfterFunc(time.Second, func() { ch <- 2 })
		stop := context.AfterFunc(ctx, func() { ch <- 3 })
		stop()
		return err
	})
}

// Code that is not a task blocks as it likes.
func notATask() {
	time.Sleep(time.Millisecond)
	ch := make(chan int, 1)
	ch <- 1
	<-ch
	var mu sync.Mutex
	mu.Lock()
	mu.Unlock()
}

// A line that blocks on purpose says so.
func ignored() error {
	return task.Run(func(ctx context.Context) error {
		ch := make(chan int, 1)
		ch <- 1 //reactorvet:ignore room for one by construction
		//reactorvet:ignore the value was just sent
		<-ch
		return nil
	})
}
