# lindy — one command to prove it all: `make test`. The main job: `make demo`.
# Every target installs what it needs, idempotently, so a fresh clone works.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
THUMB := thumbv7em-none-eabihf
WASM := wasm32-unknown-unknown
# loom and miri builds get their own target dirs so they never invalidate the main build.
LOOM_TARGET := target/loom

.PHONY: test demo setup fmt clippy test-native nostd loom miri fuzz bench soak

## The gate (CI runs this).
test: setup fmt clippy test-native nostd loom
	@echo "make test: all gates passed"

## The main job.
demo:
	$(CARGO) run --quiet --release --example grammar

setup:
	@installed="$$(rustup target list --installed)"; \
	for t in $(THUMB) $(WASM); do \
	  grep -qx "$$t" <<<"$$installed" || rustup target add "$$t"; \
	done
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --lib --no-default-features --target $(THUMB) -- -D warnings

# Unit, integration and doc tests; then the no_std code paths of the core on the host.
test-native:
	$(CARGO) test
	$(CARGO) test --lib --no-default-features

# The core must compile for a microcontroller and for the browser without std.
nostd:
	$(CARGO) build --lib --no-default-features --target $(THUMB)
	$(CARGO) rustc --lib --no-default-features --target $(WASM) --crate-type rlib

# Model-checked concurrency of every waiting path (bounded preemptions keep it minutes, not hours).
loom:
	RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=$(LOOM_TARGET) \
	  $(CARGO) test --release --test loom

# Miri on the unsafe code (rings, the lock). Uses the installed nightly toolchain.
miri:
	rustup +nightly component list --installed | grep -q '^miri' || rustup +nightly component add miri
	$(CARGO) +nightly miri test --lib -- ring sync

bench:
	$(CARGO) bench

## Web-worker fan-out, cross-tab coordination and the www/ demo (issue 9).
.PHONY: demo-web e2e e2e-tools fanout-bench
DEMO_PORT ?= 8080

# The job-board demo: serves the repository on 127.0.0.1 (www/ imports ../pkg-js as plain ES
# modules, no bundler) and prints the URL.
demo-web: pkg
	node e2e/serve.mjs --host 127.0.0.1 --port $(DEMO_PORT)

# Playwright end-to-end test of the demo in headless Chromium (the system's /usr/bin/chromium;
# playwright-core never downloads a browser). Screenshot: target/demo.png.
e2e: pkg e2e-tools
	node --test e2e/

e2e-tools:
	@command -v chromium >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@if ! cmp -s e2e/package-lock.json e2e/node_modules/.lindy-lock; then \
	  cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && cp package-lock.json node_modules/.lindy-lock; \
	fi

# Jobs/s through the fan-out hub vs one postMessage round trip per operation (table in
# docs/sections/workers.md).
fanout-bench: pkg
	node pkg-js/bench/fanout/run.mjs
