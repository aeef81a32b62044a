# lindy — one command to prove it all: `make test`. The main job: `make demo`.
# Every target installs what it needs, idempotently, so a fresh clone works.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
THUMB := thumbv7em-none-eabihf
WASM := wasm32-unknown-unknown
# loom and miri builds get their own target dirs so they never invalidate the main build.
LOOM_TARGET := target/loom

.PHONY: test demo setup fmt clippy test-native nostd loom miri fuzz bench soak soak-store fuzz-store test-store-cli

## The gate (CI runs this).
test: setup fmt clippy test-native nostd loom
	@echo "make test: all gates passed"

## The main job.
demo:
	$(CARGO) run --quiet --release --example grammar
	$(CARGO) run --quiet --release --example store

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
	$(CARGO) clippy --features cli --bin lindy-log --test store_cli -- -D warnings
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

## store: the lindy-log CLI tests (the bin needs the non-default `cli` feature).
test-native: test-store-cli
test-store-cli:
	$(CARGO) test --features cli --test store_cli

## store: the kill -9 crash loop at length (200 iterations already run inside `make test`).
soak: soak-store
soak-store:
	LINDY_CRASH_ITERS=$${LINDY_CRASH_ITERS:-2000} $(CARGO) test --release --test store_crash -- --nocapture kill_9_crash_loop

## store: the log-replay fuzz target (nightly + cargo-fuzz); FUZZ_TIME seconds, default 60.
fuzz-store:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	cd fuzz && $(CARGO) +nightly fuzz run store_replay -- -max_total_time=$${FUZZ_TIME:-60} -malloc_limit_mb=256
