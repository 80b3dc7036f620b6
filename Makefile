# Switchboard: build, test and benchmark. `make test` is what CI runs.

GO        ?= go
BIN       := bin/switchboard
GOTIMEOUT ?= 10m
# Wall-clock cap on each npm package's tests, so a suite that never exits
# fails instead of eating CI's time (timeout kills the whole process group).
NPMTIMEOUT ?= 10m
# Benchmark packages; pass BENCH=FetchNext to run a subset.
BENCH     ?= .
BENCHPKGS := ./daemon/... ./connectors/... ./demobank/...
# Flags for `switchboard bench`, e.g. BENCH_ARGS='--payments 100000'.
BENCH_ARGS ?=

# A non-login shell (CI) may not have Go on PATH on this kind of machine.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build setup test test-go test-node test-package test-fuzz vet bench fmt-check clean FORCE

all: build

# Always rebuilt; go's build cache makes an unchanged rebuild cheap.
build: $(BIN)
$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/switchboard

setup:
	./scripts/setup-test.sh

# Every part runs; the target fails if any of them failed.
test: setup
	@fail=0; \
	$(MAKE) --no-print-directory vet || fail=1; \
	$(MAKE) --no-print-directory test-go || fail=1; \
	$(MAKE) --no-print-directory test-node || fail=1; \
	$(MAKE) --no-print-directory test-package || fail=1; \
	$(MAKE) --no-print-directory test-fuzz || fail=1; \
	if [ $$fail -ne 0 ]; then echo "make test: FAILED (see above)"; exit 1; fi; \
	echo "make test: all passed"

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -timeout $(GOTIMEOUT) ./...

# `npm test` of every npm package (scripts/setup-test.sh --npm-dirs lists
# them), each against the built binary: first test/vscode-jsonrpc, the
# editor's-eye suite, then the TypeScript client and the editor extensions.
# Every package runs, each within $(NPMTIMEOUT); the target fails if any of
# them failed.
test-node: build
	@fail=0; \
	for d in $$(./scripts/setup-test.sh --npm-dirs); do \
		echo "npm test in $$d"; \
		(cd $$d && SWITCHBOARD_BIN=$(CURDIR)/$(BIN) timeout -k 10s $(NPMTIMEOUT) npm test --silent); rc=$$?; \
		if [ $$rc -eq 124 ]; then echo "npm test in $$d: still running after $(NPMTIMEOUT), stopped"; fi; \
		if [ $$rc -ne 0 ]; then echo "npm test in $$d: FAILED"; fail=1; fi; \
	done; \
	exit $$fail

# The README's VS Code packaging (npm ci && npm run package in
# clients/vscode) on a fresh copy of the tracked files: no node_modules.
test-package:
	./scripts/test-package-vscode.sh

# Each fuzz target for a short, bounded time (FUZZTIME); longer runs by hand:
#   go test -run '^$$' -fuzz FuzzRequest -fuzztime 10m ./daemon/
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzLSPStream:./daemon/transport FuzzMessage:./daemon/transport FuzzRequest:./daemon FuzzAppendRaw:./connector/driver FuzzEncodersMatchEncodingJSON:./connector/driver FuzzPageEncoderMatchesEncodingJSON:./daemon/bus FuzzDecode:./clients/go
test-fuzz:
	@fail=0; for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || fail=1; \
	done; exit $$fail

bench: build
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -timeout 30m $(BENCHPKGS)
	@if ./$(BIN) bench --help >/dev/null 2>&1; then \
		echo "./$(BIN) bench $(BENCH_ARGS)"; ./$(BIN) bench $(BENCH_ARGS); \
	else \
		echo "note: '$(BIN) bench' is not available in this build yet; skipped the end-to-end benchmark"; \
	fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
	$(GO) clean -testcache
