package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Where servers and loads run: the server alone on one core, the load on
// the other.
// allCPUs ("0-1") undoes the pinning make bench-peers gives this process
// (children inherit it) where a run pins nothing.
const (
	serverCPU = "0"
	loadCPU   = "1"
)

var allCPUs = func() string {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return "0-" + strconv.Itoa(runtime.NumCPU()-1)
	}
	return strings.TrimSpace(string(b))
}()

// Names of the servers in the report.
const (
	ours = "reactor"
)

var respTests = []string{"ping_inline", "ping_mbulk", "set", "get"}

// benchRESP: redis-benchmark -c 50 -n N (-P 1 and -P 16) against the
// RESP demo and redis-server.
func benchRESP(o options, self string, r *report) error {
	ourAddr, redisAddr := freeAddr(), freeAddr()
	srv, err := startServer(ours, ourAddr, serverCPU, nil, filepath.Join(o.bin, "resp"), "-serve", "-addr", ourAddr)
	if err != nil {
		return err
	}
	defer srv.stop()
	_, port, _ := strings.Cut(redisAddr, ":")
	redis, err := startServer("redis-server", redisAddr, serverCPU, nil,
		"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning")
	if err != nil {
		return err
	}
	defer redis.stop()
	for run := range o.runs {
		for _, pipeline := range []int{1, 16} {
			group := fmt.Sprintf("RESP -c 50 -P %d", pipeline)
			for _, s := range []*server{srv, redis} {
				for _, test := range respTests {
					log.Printf("run %d: %s %s %s", run+1, group, test, s.name)
					m, err := measure(s, func() (measurement, error) {
						return redisBenchmark(s.addr, loadCPU, test, 50, o.requests, pipeline, 1)
					})
					if err != nil {
						return err
					}
					r.add(group, strings.ToUpper(test), s.name, m)
				}
			}
		}
	}
	return nil
}

// benchHTTP: wrk -t1 -c50 against the HTTP demo, net/http and (if
// installed) nginx, each serving "Hello, World!\n".
func benchHTTP(o options, self string, r *report) error {
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	addr := freeAddr()
	s, err := startServer(ours, addr, serverCPU, nil, filepath.Join(o.bin, "http"), "-serve", "-addr", addr)
	if err != nil {
		return err
	}
	servers = append(servers, s)
	addr = freeAddr()
	if s, err = startServer("net/http", addr, serverCPU, nil, self, "serve", "http-nethttp", addr); err != nil {
		return err
	}
	servers = append(servers, s)
	if _, err := exec.LookPath("nginx"); err == nil {
		addr = freeAddr()
		dir, err := nginxConfig(addr)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if s, err = startServer("nginx", addr, serverCPU, nil, "nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")); err != nil {
			return err
		}
		servers = append(servers, s)
	} else {
		r.note("nginx is not installed: the HTTP table has no nginx row (apt-get install nginx-light).")
	}
	for run := range o.runs {
		for _, s := range servers {
			log.Printf("run %d: HTTP %s", run+1, s.name)
			m, err := measure(s, func() (measurement, error) {
				return wrk("http://"+s.addr+"/", loadCPU, 50, o.duration)
			})
			if err != nil {
				return err
			}
			r.add("HTTP wrk -t1 -c50", "GET /", s.name, m)
		}
	}
	return nil
}

// nginxConfig writes an nginx prefix directory whose config answers
// every request with "Hello, World!\n", one worker, no logs.
func nginxConfig(addr string) (string, error) {
	dir, err := os.MkdirTemp("", "peers-nginx")
	if err != nil {
		return "", err
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
error_log stderr error;
pid %s/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %s;
		location / { default_type "text/plain; charset=utf-8"; return 200 "Hello, World!\n"; }
	}
}
`, dir, addr)
	return dir, os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
}

// benchEcho: 64-byte round trips over 1, 50 and 500 connections against
// the echo demo, Go's net (GOMAXPROCS=1: one core, as the others), gnet
// and netpoll (one loop each).
func benchEcho(o options, self string, r *report) error {
	type peer struct {
		name string
		env  []string
		argv func(addr string) []string
	}
	peers := []peer{
		{ours, nil, func(a string) []string { return []string{filepath.Join(o.bin, "echo"), "-serve", "-addr", a} }},
		{"Go net", []string{"GOMAXPROCS=1"}, func(a string) []string { return []string{self, "serve", "echo-gonet", a} }},
		{"gnet", []string{"GOMAXPROCS=1"}, func(a string) []string { return []string{self, "serve", "echo-gnet", a} }},
		{"netpoll", []string{"GOMAXPROCS=1"}, func(a string) []string { return []string{self, "serve", "echo-netpoll", a} }},
	}
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, p := range peers {
		addr := freeAddr()
		s, err := startServer(p.name, addr, serverCPU, p.env, p.argv(addr)...)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	for run := range o.runs {
		for _, conns := range []int{1, 50, 500} {
			for _, s := range servers {
				log.Printf("run %d: echo C=%d %s", run+1, conns, s.name)
				m, err := measure(s, func() (measurement, error) { return echoLoad(s.addr, conns, 64, o.duration) })
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				r.add("echo 64 B", "C="+strconv.Itoa(conns), s.name, m)
			}
		}
	}
	return nil
}

// loopsGroup names the loops table for a pipeline depth.
func loopsGroup(pipeline int) string {
	return fmt.Sprintf("RESP loops, -c 50 -P %d --threads 2, nothing pinned", pipeline)
}

// benchLoops: the RESP demo on one loop and on two (-loops 2), with
// redis-benchmark on two threads (--threads 2), nothing pinned: the
// server may use both cores, and so may the client. Each result has the
// server's CPU share (CPU time ÷ wall time: 1.0 is one core busy), which
// says who was the bottleneck.
func benchLoops(o options, self string, r *report) error {
	for run := range o.runs {
		for _, loops := range []int{1, 2} {
			addr := freeAddr()
			name := fmt.Sprintf("%s, %d loop(s)", ours, loops)
			s, err := startServer(name, addr, allCPUs, nil, filepath.Join(o.bin, "resp"), "-serve", "-addr", addr, "-loops", strconv.Itoa(loops))
			if err != nil {
				return err
			}
			for _, pipeline := range []int{1, 16} {
				for _, test := range []string{"set", "get"} {
					log.Printf("run %d: loops -P %d %s %s", run+1, pipeline, test, name)
					n := o.requests
					if pipeline > 1 {
						n *= 4 // long enough for 10 ms CPU ticks
					}
					start := time.Now()
					m, err := measure(s, func() (measurement, error) {
						return redisBenchmark(addr, allCPUs, test, 50, n, pipeline, 2)
					})
					if err != nil {
						s.stop()
						return err
					}
					m.wall = time.Since(start)
					r.add(loopsGroup(pipeline), strings.ToUpper(test), name, m)
				}
			}
			s.stop()
		}
	}
	r.note("Loops: this machine has CPUs " + allCPUs + ", and redis-benchmark runs on them too. " +
		"Two loops can only be 2× one loop if the server has two cores to itself; the \"server CPU share\" column says " +
		"how much it got (1.0 = one core). Where one loop's share is well below 1.0, the client, not the server, " +
		"was the bottleneck, and the 2-loop ratio measures the client. CPU µs/request staying flat from 1 to 2 loops " +
		"is what shows the loops do not contend (the keyspace's shard locks).")
	return nil
}
