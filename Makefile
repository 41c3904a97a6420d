# The two commands a newcomer needs: `make demo` and `make test`.
GO        ?= go
PKGS      ?= ./...
CROSS     := darwin/arm64 darwin/amd64 freebsd/amd64 windows/amd64 windows/arm64
VET_OSES  := linux darwin windows

.PHONY: all demo test test-race test-windows vet cross bench bench-peers clean

all: vet test

## demo: a callback-level TCP echo server on the loop, and clients that report round trips
demo:
	$(GO) run ./demos/echo

## test: vet on every OS, the race-enabled suite, and the cross-compile gate
test: vet cross
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

## test-windows: the Windows build of the suite, run under Wine (installs Wine if needed)
test-windows:
	bash scripts/wine-test.sh

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

## bench: every primitive side by side with its Go alternative, in one run
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./bench/

clean:
	$(GO) clean -testcache
