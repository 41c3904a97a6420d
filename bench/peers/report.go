package main

import (
	"fmt"
	"html"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// result is one server's runs of one test.
type result struct {
	group, test, server string
	runs                []measurement
}

// spread is min, median and max of a statistic over the runs.
type spread struct{ min, med, max float64 }

func spreadOf(runs []measurement, f func(measurement) float64) spread {
	v := make([]float64, len(runs))
	for i, m := range runs {
		v[i] = f(m)
	}
	slices.Sort(v)
	return spread{v[0], v[len(v)/2], v[len(v)-1]}
}

func (r *result) rps() spread { return spreadOf(r.runs, func(m measurement) float64 { return m.rps }) }
func (r *result) cpu() spread {
	return spreadOf(r.runs, func(m measurement) float64 { return float64(m.cpuPerRequest()) / float64(time.Microsecond) })
}
func (r *result) p99() spread {
	return spreadOf(r.runs, func(m measurement) float64 { return float64(m.p99) / float64(time.Microsecond) })
}
func (r *result) share() spread {
	return spreadOf(r.runs, func(m measurement) float64 {
		if m.wall == 0 {
			return 0
		}
		return float64(m.cpu) / float64(m.wall)
	})
}

// report gathers the results of one run of the harness.
type report struct {
	started  time.Time
	versions map[string]string
	results  []*result
	notes    []string
}

func (r *report) add(group, test, server string, m measurement) {
	for _, res := range r.results {
		if res.group == group && res.test == test && res.server == server {
			res.runs = append(res.runs, m)
			return
		}
	}
	r.results = append(r.results, &result{group: group, test: test, server: server, runs: []measurement{m}})
}

func (r *report) note(s string) { r.notes = append(r.notes, s) }

func (r *report) find(group, test, server string) *result {
	for _, res := range r.results {
		if res.group == group && res.test == test && res.server == server {
			return res
		}
	}
	return nil
}

// target is one of the targets: a ratio of ours to a peer.
type target struct {
	label       string
	group, test string
	us, peer    string
	stat        func(*result) spread
	statName    string
	atLeast     bool // ratio >= bound passes; else ratio <= bound
	bound       float64
}

func (r *report) targets() []target {
	rps := (*result).rps
	cpu := (*result).cpu
	p99 := (*result).p99
	var ts []target
	for _, test := range respTests {
		t := strings.ToUpper(test)
		ts = append(ts,
			target{"RESP " + t + " -P 1 throughput vs redis-server", "RESP -c 50 -P 1", t, ours, "redis-server", rps, "req/s", true, 1.0},
			target{"RESP " + t + " -P 1 CPU/request vs redis-server", "RESP -c 50 -P 1", t, ours, "redis-server", cpu, "CPU µs/req", false, 1.0},
			target{"RESP " + t + " -P 16 throughput vs redis-server", "RESP -c 50 -P 16", t, ours, "redis-server", rps, "req/s", true, 0.8})
	}
	ts = append(ts,
		target{"HTTP throughput vs net/http", "HTTP wrk -t1 -c50", "GET /", ours, "net/http", rps, "req/s", true, 1.5},
		target{"HTTP CPU/request vs net/http", "HTTP wrk -t1 -c50", "GET /", ours, "net/http", cpu, "CPU µs/req", false, 0.7},
		target{"echo C=50 CPU/round trip vs Go net (GOMAXPROCS=1)", "echo 64 B", "C=50", ours, "Go net", cpu, "CPU µs/req", false, 1.0},
		target{"echo C=50 CPU/round trip vs gnet", "echo 64 B", "C=50", ours, "gnet", cpu, "CPU µs/req", false, 1.1},
		target{"echo C=500 p99 vs Go net", "echo 64 B", "C=500", ours, "Go net", p99, "p99 µs", false, 1.0},
	)
	for _, pipeline := range []int{1, 16} {
		for _, test := range []string{"SET", "GET"} {
			ts = append(ts, target{fmt.Sprintf("RESP %s -P %d: 2 loops vs 1", test, pipeline), loopsGroup(pipeline), test,
				ours + ", 2 loop(s)", ours + ", 1 loop(s)", rps, "req/s", true, 1.6})
		}
	}
	return ts
}

// ratio returns ours ÷ the peer's median for t, if both were measured.
func (r *report) ratio(t target) (float64, bool) {
	us, peer := r.find(t.group, t.test, t.us), r.find(t.group, t.test, t.peer)
	if us == nil || peer == nil || t.stat(peer).med == 0 {
		return 0, false
	}
	return t.stat(us).med / t.stat(peer).med, true
}

func (t target) pass(ratio float64) bool {
	if t.atLeast {
		return ratio >= t.bound
	}
	return ratio <= t.bound
}

func (t target) boundText() string {
	if t.atLeast {
		return fmt.Sprintf("≥ %.1f", t.bound)
	}
	return fmt.Sprintf("≤ %.1f", t.bound)
}

func fmtSpread(s spread, format string) string {
	return fmt.Sprintf(format+" ("+format+"–"+format+")", s.med, s.min, s.max)
}

// markdown writes RESULTS.md.
func (r *report) markdown(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Peer benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `make bench-peers` (bench/peers) on %s, %d runs of each measurement:\n", r.started.UTC().Format("2006-01-02 15:04 MST"), o.runs)
	fmt.Fprintf(&b, "median (min–max). Servers run alone on CPU 0 (taskset), the load on CPU 1, except in the\n")
	fmt.Fprintf(&b, "loops table, where neither is pinned. CPU is the server process's user + system time\n")
	fmt.Fprintf(&b, "(/proc/PID/stat, 10 ms ticks) over the run, divided by the requests. Ratios are ours ÷ the peer's medians.\n\n")
	fmt.Fprintf(&b, "![ratios](results.svg)\n\n## Targets\n\n| target | ratio | bound | met |\n|---|---:|---:|:---:|\n")
	for _, t := range r.targets() {
		ratio, ok := r.ratio(t)
		if !ok {
			fmt.Fprintf(&b, "| %s | not measured | %s | – |\n", t.label, t.boundText())
			continue
		}
		met := "no"
		if t.pass(ratio) {
			met = "yes"
		}
		fmt.Fprintf(&b, "| %s | %.2f | %s | %s |\n", t.label, ratio, t.boundText(), met)
	}
	var groups []string
	for _, res := range r.results {
		if !slices.Contains(groups, res.group) {
			groups = append(groups, res.group)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n\n| test | server | requests/s | server CPU µs/request | p99 µs | server CPU share |\n|---|---|---:|---:|---:|---:|\n", g)
		for _, res := range r.results {
			if res.group != g {
				continue
			}
			share := "–"
			if s := res.share(); s.med > 0 {
				share = fmtSpread(s, "%.2f")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", res.test, res.server,
				fmtSpread(res.rps(), "%.0f"), fmtSpread(res.cpu(), "%.2f"), fmtSpread(res.p99(), "%.0f"), share)
		}
	}
	if len(r.notes) > 0 {
		fmt.Fprintf(&b, "\n## Notes\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	fmt.Fprintf(&b, "\n## Versions\n\n")
	keys := make([]string, 0, len(r.versions))
	for k := range r.versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %s\n", k, strings.ReplaceAll(r.versions[k], "\n", ", "))
	}
	return b.String()
}

// chart draws the targets' ratios as horizontal bars on a log scale
// (0.25× to 4×), each with its bound marked, green if met, red if not.
func (r *report) chart() string {
	ts := r.targets()
	const (
		left, width, row, top = 380, 420, 22, 40
		lo, hi                = 0.25, 4.0
	)
	x := func(v float64) float64 {
		v = min(max(v, lo), hi)
		return left + width*(math.Log2(v)-math.Log2(lo))/(math.Log2(hi)-math.Log2(lo))
	}
	height := top + row*len(ts) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", left+width+80, height)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14">reactor ÷ peer (median of runs); bar from 1×, tick = target bound; green = met</text>`+"\n")
	for _, v := range []float64{0.25, 0.5, 1, 2, 4} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/><text x="%.1f" y="%d" text-anchor="middle">%g×</text>`+"\n",
			x(v), top-5, x(v), height-30, x(v), height-15, v)
	}
	for i, t := range ts {
		y := top + i*row
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+14, html.EscapeString(t.label))
		ratio, ok := r.ratio(t)
		if !ok {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#888">not measured</text>`+"\n", x(1)+4, y+14)
			continue
		}
		color := "#c0392b"
		if t.pass(ratio) {
			color = "#27ae60"
		}
		x0, x1 := x(1), x(ratio)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", x0, y+3, max(x1-x0, 1), row-6, color)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2"/>`+"\n", x(t.bound), y, x(t.bound), y+row)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.2f</text>`+"\n", left+width+8, y+14, ratio)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
