# The two commands a newcomer needs: `make demo` and `make test`.
# `make help` lists the rest.
GO         ?= go
PKGS       ?= ./...
CROSS      := darwin/arm64 darwin/amd64 freebsd/amd64 windows/amd64 windows/arm64
VET_OSES   := linux darwin windows
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da
TOOLS      := $(CURDIR)/.tools
# Fuzz budgets are counts, about 60 s each here: a duration (-fuzztime 60s)
# trips a race in Go 1.26's fuzz coordinator that fails the run with a bare
# "context deadline exceeded" and no input (golang/go#75804, fixed in 1.27).
FUZZ_CHANNEL ?= 300000x
FUZZ_TIMER   ?= 3000000x
FUZZ_BUFFERED ?= 300000x
OLD        ?= HEAD~1
NEW        ?= HEAD
BENCH      ?= .

.PHONY: help demo test ci vet cross lint fuzz test-windows bench bench-compare bench-peers peers-vet clean

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## demo: a TCP echo server on tasks and streams (a task per connection), and clients that report round trips
demo:
	$(GO) run ./demos/echo

## test: go vet (linux, darwin, windows) and the race-enabled suite; under 2 minutes
test: vet
	$(GO) test -race -count=1 -timeout 5m $(PKGS)

## ci: what CI runs: test, lint, the cross-compile gate, the fuzz targets, the Windows suite under Wine, the peer harness's vet
ci: test lint cross fuzz test-windows peers-vet

## vet: go vet for linux, darwin and windows
vet:
	@for os in $(VET_OSES); do echo "go vet GOOS=$$os"; GOOS=$$os $(GO) vet $(PKGS) || exit 1; done

## cross: compile the test binaries of every package for the non-Linux targets
cross:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	for t in $(CROSS); do \
		echo "go test -c GOOS=$${t%/*} GOARCH=$${t#*/}"; \
		for p in $$($(GO) list $(PKGS)); do \
			GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) test -c -o $$tmp/$$(echo $$p | tr / _).test $$p >/dev/null || exit 1; \
		done; \
	done

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(TOOLS)/benchstat:
	GOBIN=$(TOOLS) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

## lint: staticcheck (pinned) for linux, darwin and windows
lint: $(TOOLS)/staticcheck
	@for os in $(VET_OSES); do echo "staticcheck GOOS=$$os"; GOOS=$$os $(TOOLS)/staticcheck $(PKGS) || exit 1; done
	@echo "staticcheck bench/peers"; cd bench/peers && $(TOOLS)/staticcheck ./...

## fuzz: each fuzz target for about a minute (FUZZ_CHANNEL, FUZZ_TIMER, FUZZ_BUFFERED executions)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzChannelNothingLost$$' -fuzztime $(FUZZ_CHANNEL) ./task/
	$(GO) test -run '^$$' -fuzz '^FuzzQueueAgainstSortedSlice$$' -fuzztime $(FUZZ_TIMER) ./timer/
	$(GO) test -run '^$$' -fuzz '^FuzzBufferedReader$$' -fuzztime $(FUZZ_BUFFERED) ./streams/

## test-windows: the Windows build of the suite, run under Wine (installs Wine if needed)
test-windows:
	bash scripts/wine-test.sh

## bench: every primitive side by side with its Go alternative, in one run
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./bench/

## bench-peers: the demos against redis-server, net/http, nginx, Go net, gnet and netpoll; writes bench/RESULTS.md and bench/results.svg (about 8 minutes; installs redis, wrk, nginx as root)
bench-peers:
	scripts/install-tools.sh redis-server:redis-server redis-benchmark:redis-tools wrk:wrk nginx:nginx-light taskset:util-linux
	cd bench/peers && $(GO) build -o $(TOOLS)/peers . && taskset -c 1 $(TOOLS)/peers -runs 3

## peers-vet: go vet of the peer harness (its own module: gnet and netpoll stay out of the library's go.mod)
peers-vet:
	cd bench/peers && $(GO) vet ./...

## bench-compare: benchstat of OLD against NEW (git revisions; default HEAD~1, HEAD), -count 10, BENCH=regexp
bench-compare: $(TOOLS)/benchstat
	@tmp=$$(mktemp -d); trap 'git worktree remove --force $$tmp/old; git worktree remove --force $$tmp/new; rm -rf $$tmp' EXIT; \
	git worktree add -q --detach $$tmp/old $(OLD) && git worktree add -q --detach $$tmp/new $(NEW) && \
	(cd $$tmp/old && $(GO) test -c -o $$tmp/old.test ./bench/) && (cd $$tmp/new && $(GO) test -c -o $$tmp/new.test ./bench/) && \
	for i in 1 2 3 4 5 6 7 8 9 10; do \
		(cd $$tmp/old/bench && $$tmp/old.test -test.run '^$$' -test.bench '$(BENCH)' -test.benchmem >> $$tmp/old.txt); \
		(cd $$tmp/new/bench && $$tmp/new.test -test.run '^$$' -test.bench '$(BENCH)' -test.benchmem >> $$tmp/new.txt); \
	done; \
	$(TOOLS)/benchstat old=$$tmp/old.txt new=$$tmp/new.txt

clean:
	$(GO) clean -testcache
	rm -rf $(TOOLS)
