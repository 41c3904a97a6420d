package main

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// measurement is one run of a load against a server.
type measurement struct {
	rps  float64       // requests (round trips) per second
	cpu  time.Duration // the server's CPU time over the run
	n    float64       // requests in the run
	p99  time.Duration // where the load reports it
	wall time.Duration // of the run, where the server's CPU share matters
}

// cpuPerRequest is the server's CPU time per request.
func (m measurement) cpuPerRequest() time.Duration {
	if m.n == 0 {
		return 0
	}
	return time.Duration(float64(m.cpu) / m.n)
}

// measure runs load against s and adds the server's CPU time over it.
func measure(s *server, load func() (measurement, error)) (measurement, error) {
	before, err := s.cpu()
	if err != nil {
		return measurement{}, err
	}
	m, err := load()
	if err != nil {
		return m, err
	}
	after, err := s.cpu()
	m.cpu = after - before
	return m, err
}

// echoLoad drives an echo server with conns connections (a goroutine
// each, package net), each sending size bytes and waiting for them back,
// for d. It runs in this process, pinned to cpus by the caller.
func echoLoad(addr string, conns, size int, d time.Duration) (measurement, error) {
	var wg sync.WaitGroup
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	start := time.Now()
	stop := start.Add(d)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return measurement{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			msg, got := make([]byte, size), make([]byte, size)
			for time.Now().Before(stop) {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs[i] = err
					return
				}
				if _, err := io.ReadFull(c, got); err != nil {
					errs[i] = err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	m := measurement{n: float64(len(all)), rps: float64(len(all)) / wall.Seconds()}
	if len(all) > 0 {
		m.p99 = all[len(all)*99/100]
	}
	for _, err := range errs {
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

// redisBenchmark runs redis-benchmark for one test (ping_mbulk, set or
// get) and returns its requests per second.
func redisBenchmark(addr, cpus, test string, clients, requests, pipeline, threads int) (measurement, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"redis-benchmark", "-h", host, "-p", port, "-t", test, "-c", strconv.Itoa(clients),
		"-n", strconv.Itoa(requests), "-P", strconv.Itoa(pipeline), "--csv"}
	if threads > 1 {
		args = append(args, "--threads", strconv.Itoa(threads))
	}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return measurement{}, fmt.Errorf("redis-benchmark %s: %v\n%s", test, err, out)
	}
	// --csv: a header line, then "TEST","rps","avg","min","p50","p95","p99","max".
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.ReplaceAll(line, `"`, ""), ",")
		if len(f) >= 7 && f[0] != "test" {
			rps, err1 := strconv.ParseFloat(f[1], 64)
			p99, err2 := strconv.ParseFloat(f[6], 64)
			if err1 == nil && err2 == nil {
				return measurement{rps: rps, n: float64(requests), p99: time.Duration(p99 * float64(time.Millisecond))}, nil
			}
		}
	}
	return measurement{}, fmt.Errorf("redis-benchmark %s: no result in:\n%s", test, out)
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkP99      = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
)

// wrk runs wrk with one thread and conns connections for d against url.
func wrk(url, cpus string, conns int, d time.Duration) (measurement, error) {
	args := []string{"wrk", "-t1", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", url}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return measurement{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	s := string(out)
	if strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
		return measurement{}, fmt.Errorf("wrk saw errors:\n%s", s)
	}
	n, rps := wrkRequests.FindStringSubmatch(s), wrkRPS.FindStringSubmatch(s)
	if n == nil || rps == nil {
		return measurement{}, fmt.Errorf("wrk: no result in:\n%s", s)
	}
	var m measurement
	m.n, _ = strconv.ParseFloat(n[1], 64)
	m.rps, _ = strconv.ParseFloat(rps[1], 64)
	if p := wrkP99.FindStringSubmatch(s); p != nil {
		v, _ := strconv.ParseFloat(p[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[2]]
		m.p99 = time.Duration(v * float64(unit))
	}
	return m, nil
}

// version returns the first line a program prints for --version.
func version(prog string, args ...string) string {
	out, err := exec.Command(prog, args...).CombinedOutput()
	if err != nil && len(out) == 0 { // wrk --version exits 1 after printing it
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
