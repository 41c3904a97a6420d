#!/usr/bin/env bash
# Turns `go test -bench` output (stdin) into the markdown table of
# bench/README.md: one row per variant, with its ratio to the Go
# alternative of the same benchmark ("go" sub-benchmark) from the same run.
awk '
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  n = split(name, parts, "/"); variant = parts[n]
  thing = parts[1]; for (i = 2; i < n; i++) thing = thing "/" parts[i]
  sub(/^Benchmark/, "", thing)
  ns = ""; allocs = ""
  for (i = 2; i <= NF; i++) { if ($(i) == "ns/op") ns = $(i-1); if ($(i) == "allocs/op") allocs = $(i-1) }
  key = thing SUBSEP variant
  if (!(key in seen)) { order[++count] = key; seen[key] = 1 }
  nsof[key] = ns; allocsof[key] = allocs
}
END {
  print "| thing | variant | reactor ns/op | go ns/op | ratio | allocs/op (variant / go) |"
  print "|---|---|---:|---:|---:|---|"
  for (i = 1; i <= count; i++) {
    split(order[i], kv, SUBSEP); thing = kv[1]; variant = kv[2]
    if (variant == "go") continue
    g = thing SUBSEP "go"
    ratio = (g in nsof && nsof[g] > 0) ? sprintf("%.2f", nsof[order[i]] / nsof[g]) : "n/a"
    printf "| %s | %s | %s | %s | %s | %s / %s |\n", thing, variant, nsof[order[i]], nsof[g], ratio, allocsof[order[i]], allocsof[g]
  }
}'
