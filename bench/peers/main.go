// Command peers measures the demos against what a user would pick
// instead, in one run: the RESP demo against redis-server (redis-benchmark),
// the HTTP demo against net/http and nginx (wrk), the echo demo against
// Go's net, gnet and netpoll (a Go load generator), and the RESP demo on
// one loop against two. It writes bench/RESULTS.md and bench/results.svg.
//
// Each server runs in a process of its own, pinned to CPU 0 (taskset);
// the load runs on CPU 1 (make bench-peers pins this process there), so
// a server has one core and the load never takes it. Next to
// throughput, each result has the server's CPU time per request (from
// /proc/PID/stat): a load generator can saturate its core before a fast
// server saturates its own, and then requests/s alone cannot rank
// servers.
//
//	go run . -runs 3            # what make bench-peers runs
//	go run . serve NAME ADDR    # one peer server, for the harness
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type options struct {
	runs     int
	requests int           // per redis-benchmark test
	duration time.Duration // per wrk and echo run
	out, svg string
	repo     string // the reactor repository, whose demos are built
	bin      string // where the servers are built
	only     string // run only this group (resp, http, echo, loops)
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "serve" {
		if err := servePeer(os.Args[2], os.Args[3]); err != nil {
			log.Fatal(err)
		}
		return
	}
	var o options
	flag.IntVar(&o.runs, "runs", 3, "runs of each measurement (min, median, max are reported)")
	flag.IntVar(&o.requests, "n", 200000, "requests per redis-benchmark test")
	flag.DurationVar(&o.duration, "d", 5*time.Second, "duration of each wrk and echo run")
	flag.StringVar(&o.out, "out", "../RESULTS.md", "the report")
	flag.StringVar(&o.svg, "svg", "../results.svg", "the chart")
	flag.StringVar(&o.repo, "repo", "../..", "the reactor repository (its demos are measured)")
	flag.StringVar(&o.only, "only", "", "run one group only: resp, http, echo or loops")
	flag.Parse()
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o options) error {
	bin, err := os.MkdirTemp("", "peers")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	o.bin = bin
	for _, demo := range []string{"resp", "http", "echo"} {
		log.Printf("building the %s demo", demo)
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, demo), "./demos/"+demo)
		cmd.Dir, cmd.Stderr = o.repo, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the %s demo: %w", demo, err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r := &report{started: time.Now(), versions: versions()}
	groups := []struct {
		name string
		run  func(o options, self string, r *report) error
	}{
		{"resp", benchRESP},
		{"http", benchHTTP},
		{"echo", benchEcho},
		{"loops", benchLoops},
	}
	for _, g := range groups {
		if o.only != "" && o.only != g.name {
			continue
		}
		if err := g.run(o, self, r); err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
	}
	if err := os.WriteFile(o.out, []byte(r.markdown(o)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(o.svg, []byte(r.chart()), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s and %s", o.out, o.svg)
	return nil
}

// versions names what was measured.
func versions() map[string]string {
	return map[string]string{
		"go":              version("go", "version"),
		"redis-server":    version("redis-server", "--version"),
		"redis-benchmark": version("redis-benchmark", "--version"),
		"wrk":             version("wrk", "--version"),
		"nginx":           version("nginx", "-v"),
		"gnet":            "github.com/panjf2000/gnet/v2 v2.9.7",
		"netpoll":         "github.com/cloudwego/netpoll v0.7.2",
		"kernel":          version("uname", "-sr"),
		"cpu":             version("sh", "-c", "echo CPUs $(cat /sys/devices/system/cpu/online): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"),
	}
}
