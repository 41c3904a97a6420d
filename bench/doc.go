// Package bench holds the benchmark suites that put each primitive of the
// library side by side with the Go alternative, in the same run. Every
// benchmark is named Benchmark<Thing> with sub-benchmarks "reactor" and
// "go" (plus variants, named for what they measure); scripts/bench-table.sh
// turns a run into the ratio table of bench/README.md.
//
//	make bench
package bench
