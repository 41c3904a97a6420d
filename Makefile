# The two commands a newcomer needs: `make demo` and `make test`.
# `make help` lists the rest.
GO         ?= go
PKGS       ?= ./...
# openbsd and js have no poller (the root package's stub, internal/netsys's
# stub): everything builds and compiles its tests there, and the calls that
# need a poller or a socket say they are not supported.
CROSS      := darwin/arm64 darwin/amd64 freebsd/amd64 windows/amd64 windows/arm64 openbsd/amd64 js/wasm
VET_OSES   := linux darwin windows
VET_CROSS  := darwin windows
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da
TOOLS      := $(CURDIR)/.tools
# Fuzz budgets are counts, about 60 s each here: a duration (-fuzztime 60s)
# trips a race in Go 1.26's fuzz coordinator that fails the run with a bare
# "context deadline exceeded" and no input (golang/go#75804, fixed in 1.27).
FUZZ_CHANNEL ?= 300000x
FUZZ_TIMER   ?= 3000000x
FUZZ_BUFFERED ?= 300000x
FUZZ_FRAMING ?= 500000x
OLD        ?= HEAD~1
NEW        ?= HEAD
BENCH      ?= .

.PHONY: help demo test test-demos sim ci vet vet-cross cross lint reactorvet fuzz test-windows bench bench-compare bench-peers peers-vet clean

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## demo: a TCP echo server on tasks and streams (a task per connection), and clients that report round trips
demo:
	$(GO) run ./demos/echo

## test: go vet, the library's race-enabled suite, and the demos' tests with -race -short; under 2 minutes from a cold build cache
# go test's own vet is off: the full go vet has just run. A demo test that
# takes long skips under testing.Short(); test-demos, in ci, runs it.
test: vet
	@lib=$$($(GO) list $(PKGS) | grep -v /demos/); demos=$$($(GO) list $(PKGS) | grep /demos/); \
	if [ -n "$$lib" ]; then echo "go test -race (the library)"; $(GO) test -race -count=1 -vet=off -timeout 5m $$lib || exit 1; fi; \
	if [ -n "$$demos" ]; then echo "go test -race -short (the demos)"; $(GO) test -race -short -count=1 -vet=off -timeout 5m $$demos || exit 1; fi

## test-demos: the demos' whole suite with -race, the tests that drive real clients included
test-demos:
	$(GO) test -race -count=1 -timeout 10m ./demos/...

## sim: the simulation tests with many seeds (SIM_SEEDS, default 100): package sim's and the demos' TestSim*; a failure prints the command that replays its seed
SIM_SEEDS ?= 100
sim:
	REACTOR_SIM_SEEDS=$(SIM_SEEDS) $(GO) test -count=1 ./sim/
	REACTOR_SIM_SEEDS=$(SIM_SEEDS) $(GO) test -count=1 -run Sim ./demos/...

## ci: what CI runs: test, the other platforms' vet, lint, the cross-compile gate, the fuzz targets, the demos' whole suite, the simulation with many seeds, the Windows suite under Wine, the peer harness's vet
ci: test vet-cross lint cross fuzz test-demos sim test-windows peers-vet

## vet: go vet for this machine's platform (linux here), in the race build that test runs
# -race makes vet compile the dependencies as the race suite does, so that
# make test compiles everything once, not twice (no file of the module has
# a race build constraint: vet sees the same files either way).
vet:
	@echo "go vet -race GOOS=$$($(GO) env GOOS)"; $(GO) vet -race $(PKGS)

## vet-cross: go vet for darwin and windows
vet-cross:
	@for os in $(VET_CROSS); do echo "go vet GOOS=$$os"; GOOS=$$os $(GO) vet $(PKGS) || exit 1; done

## cross: compile the test binaries of every package for the non-Linux targets; build for the systems without a poller
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

## lint: staticcheck (pinned) for linux, darwin and windows; reactorvet over the demos, and its own module's vet, staticcheck and tests
lint: $(TOOLS)/staticcheck reactorvet
	@for os in $(VET_OSES); do echo "staticcheck GOOS=$$os"; GOOS=$$os $(TOOLS)/staticcheck $(PKGS) || exit 1; done
	@echo "staticcheck bench/peers"; cd bench/peers && $(TOOLS)/staticcheck ./...
	@echo "go vet, staticcheck, go test cmd/reactorvet"; cd cmd/reactorvet && $(GO) vet ./... && $(TOOLS)/staticcheck ./... && $(GO) test -count=1 ./...
	@echo "reactorvet ./demos/..."; $(TOOLS)/reactorvet ./demos/...

# reactorvet: the analyzer of calls that block the loop in tasks (its own
# module, so x/tools stays out of the library's go.mod); go build's cache
# makes rebuilding it each time cheap.
reactorvet:
	cd cmd/reactorvet && $(GO) build -o $(TOOLS)/reactorvet .

## fuzz: each fuzz target for about a minute (FUZZ_CHANNEL, FUZZ_TIMER, FUZZ_BUFFERED, FUZZ_FRAMING executions)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzChannelNothingLost$$' -fuzztime $(FUZZ_CHANNEL) ./task/
	$(GO) test -run '^$$' -fuzz '^FuzzQueueAgainstSortedSlice$$' -fuzztime $(FUZZ_TIMER) ./timer/
	$(GO) test -run '^$$' -fuzz '^FuzzBufferedReader$$' -fuzztime $(FUZZ_BUFFERED) ./streams/
	$(GO) test -run '^$$' -fuzz '^FuzzFraming$$' -fuzztime $(FUZZ_FRAMING) ./demos/http/

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
