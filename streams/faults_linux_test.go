package streams_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// 1,000 dial/accept/close cycles leave no descriptor behind.
func TestDialCloseCyclesLeakNothing(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		before := openFDs(t)
		for i := range 1000 {
			c, err := streams.DialTCP(ctx, l.Addr().String())
			if err != nil {
				return fmt.Errorf("cycle %d: %w", i, err)
			}
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			c.Close()
			s.Close()
		}
		if after := openFDs(t); after != before {
			t.Errorf("%d descriptors open after 1000 cycles; %d before", after, before)
		}
		return nil
	})
}

// raiseFDLimit raises the soft RLIMIT_NOFILE to want (or the hard limit).
func raiseFDLimit(t *testing.T, want uint64) uint64 {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	old := lim
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	return lim.Cur
}

// 5,000 connections at once on one loop, each echoing through its own
// task.
func TestFiveThousandConnections(t *testing.T) {
	const conns = 5000
	if got := raiseFDLimit(t, 2*conns+200); got < 2*conns+100 {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d this test needs", got, 2*conns+100)
	}
	run(t, func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", echo, started)
			})
			if err != nil {
				return err
			}
			var all task.Event
			clients := make([]*streams.SocketStream, conns)
			err = task.WithNursery(ctx, func(ctx context.Context, cn *task.Nursery) error {
				for i := range clients {
					c, err := streams.DialTCP(ctx, addr.String())
					if err != nil {
						return fmt.Errorf("connection %d: %w", i, err)
					}
					clients[i] = c
					cn.Go(func(ctx context.Context) error {
						if _, err := c.Write(ctx, []byte{byte(i)}); err != nil {
							return err
						}
						b := make([]byte, 1)
						if _, err := c.Read(ctx, b); err != nil || b[0] != byte(i) {
							return fmt.Errorf("connection %d echoed %v, %v", i, b, err)
						}
						return all.Wait(ctx) // every connection open at once
					})
				}
				task.WaitAllTasksBlocked(ctx)
				all.Set()
				return nil
			})
			for _, c := range clients {
				if c != nil {
					c.Close()
				}
			}
			n.Cancel()
			return err
		})
	})
}

// A slow reader: the writer waits, nothing piles up in memory while
// 64 MiB go through.
func TestSlowReaderKeepsMemoryFlat(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		defer b.Close()
		const total = 64 << 20
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		peak := uint64(0)
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				chunk := make([]byte, 256<<10)
				for sent := 0; sent < total; sent += len(chunk) {
					if _, err := a.Write(ctx, chunk); err != nil {
						return err
					}
				}
				return a.CloseWrite(ctx)
			})
			buf := make([]byte, 4096)
			got := 0
			var ms runtime.MemStats
			for i := 0; ; i++ {
				k, err := b.Read(ctx, buf)
				got += k
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				if i%2048 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
				task.Checkpoint(ctx) // slower than the writer
			}
			if got != total {
				t.Errorf("read %d bytes; want %d", got, total)
			}
			return nil
		})
		if grew := int64(peak) - int64(before.HeapInuse); grew > 4<<20 {
			t.Errorf("the heap grew by %d bytes while 64 MiB went through; want it flat (under 4 MiB)", grew)
		}
		return err
	})
}

// A peer that resets mid-Write: the Write returns how much it wrote and
// an error matching ErrBrokenResource and the errno, at once (no spin),
// and every byte the peer read is one that was written, in order.
func TestPeerResetMidWrite(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a, b := socketPair(t, ctx)
		defer a.Close()
		data := make([]byte, 32<<20)
		for i := range data {
			data[i] = byte(i % 251)
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			var wrote int
			var werr error
			done, finished := task.NewChannel[struct{}](1)
			n.Go(func(ctx context.Context) error {
				wrote, werr = a.Write(ctx, data)
				return done.Close()
			})
			buf := make([]byte, 1<<20)
			read := 0
			for read < 4<<20 {
				k, err := b.Read(ctx, buf)
				for j := range k {
					if buf[j] != byte((read+j)%251) {
						t.Fatalf("byte %d differs from the one written", read+j)
					}
				}
				read += k
				if err != nil {
					return err
				}
			}
			resetOnClose(t, b.FD())
			b.Close()
			finished.Receive(ctx) // ErrEndOfChannel once the Write returned
			if !errors.Is(werr, task.ErrBrokenResource) || !(errors.Is(werr, syscall.ECONNRESET) || errors.Is(werr, syscall.EPIPE)) {
				t.Errorf("Write when the peer reset: %d, %v; want ErrBrokenResource and ECONNRESET or EPIPE", wrote, werr)
			}
			if wrote < read || wrote >= len(data) {
				t.Errorf("Write reported %d bytes; the peer read %d of %d", wrote, read, len(data))
			}
			return nil
		})
	})
}

// EMFILE: a server in a child process with a low descriptor limit is
// filled with connections; while it is out of descriptors its accept
// loop backs off (little CPU), and once the clients leave it serves
// again by itself.
func TestAcceptBacksOffWhenOutOfDescriptors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEServer$")
	cmd.Env = append(os.Environ(), "STREAMS_EMFILE_SERVER=1")
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the child did not report its address: %v", err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))

	echoes := func(c net.Conn) bool {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("x")); err != nil {
			return false
		}
		b := make([]byte, 1)
		_, err := io.ReadFull(c, b)
		return err == nil
	}
	// Fill the child: it has 64 descriptors; connect until one is not
	// served.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	exhausted := false
	for i := 0; i < 200 && !exhausted; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Write([]byte("x")); err == nil {
			b := make([]byte, 1)
			if _, err := io.ReadFull(c, b); err != nil {
				exhausted = true // accepted by the kernel, not by the server
			}
		}
	}
	if !exhausted {
		t.Fatal("the child served 200 connections with a limit of 64 descriptors")
	}
	// Exhausted: measure the child's CPU over a second (a measurement
	// window, not a synchronisation).
	cpu0 := cpuTime(t, cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := cpuTime(t, cmd.Process.Pid) - cpu0; used > 200*time.Millisecond {
		t.Errorf("the exhausted server used %v of CPU in 1s; want it backing off, not spinning", used)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !echoes(c) {
		t.Error("the server did not serve again after the clients left")
	}
}

// cpuTime is the user+system time of a process, from /proc.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// TestEMFILEServer is the child of TestAcceptBacksOffWhenOutOfDescriptors.
func TestEMFILEServer(t *testing.T) {
	if os.Getenv("STREAMS_EMFILE_SERVER") == "" {
		t.Skip("the child of TestAcceptBacksOffWhenOutOfDescriptors")
	}
	lim := syscall.Rlimit{Cur: 64, Max: 64}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	task.Run(func(ctx context.Context) error {
		return streams.ServeTCP(ctx, "127.0.0.1:0", echo, func(a net.Addr) { fmt.Printf("ADDR %s\n", a) })
	})
}

// echo serves a connection by sending back what it reads.
func echo(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 16)
	for {
		n, err := s.Read(ctx, buf)
		if err != nil {
			return nil
		}
		if _, err := s.Write(ctx, buf[:n]); err != nil {
			return nil
		}
	}
}

// One loop per core: two loops listen on one address with ReusePort and
// each accepts its share of the connections.
func TestRunParallelReusePortSharesConnections(t *testing.T) {
	const conns = 64
	// Each loop tells the other it listens; buffered: sends never block a loop.
	listening := [2]chan *streams.SocketListener{make(chan *streams.SocketListener, 1), make(chan *streams.SocketListener, 1)}
	var ls [2]*streams.SocketListener
	var accepted [2]int
	var total atomic.Int64
	err := task.RunParallel(2, func(ctx context.Context, i int) error {
		addr := "127.0.0.1:0"
		if i == 1 { // listen on loop 0's address, once it listens
			task.ToThread(ctx, func(context.Context) error { ls[0] = <-listening[0]; return nil })
			addr = ls[0].Addr().String()
		}
		l, err := streams.ListenTCP(ctx, addr, streams.ReusePort())
		if err != nil {
			return err
		}
		ls[i] = l
		listening[i] <- l
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				for {
					s, err := l.Accept(ctx)
					if err != nil {
						return nil // closed once all are accepted
					}
					accepted[i]++
					s.Close()
					if total.Add(1) == conns {
						ls[0].Close() // from any goroutine: wakes the other loop's Accept
						ls[1].Close()
					}
				}
			})
			if i == 1 {
				return nil
			}
			task.ToThread(ctx, func(context.Context) error { ls[1] = <-listening[1]; return nil }) // both listen now
			for range conns {
				c, err := streams.DialTCP(ctx, l.Addr().String())
				if err != nil {
					return err
				}
				c.Close()
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if accepted[0]+accepted[1] != conns || accepted[0] == 0 || accepted[1] == 0 {
		t.Errorf("the loops accepted %v of %d connections; want all, and a share for each", accepted, conns)
	}
}
