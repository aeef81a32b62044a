# lindy — one command to prove it all: `make test`. The main job: `make demo`.
# Every target installs what it needs, idempotently, so a fresh clone works.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
THUMB := thumbv7em-none-eabihf
WASM := wasm32-unknown-unknown
# loom and miri builds get their own target dirs so they never invalidate the main build.
LOOM_TARGET := target/loom

.PHONY: test demo setup fmt clippy doc test-native nostd loom miri fuzz bench soak soak-store test-store-cli

## The gate (CI runs this).
test: setup fmt clippy doc test-native nostd loom
	@echo "make test: all gates passed"

## The main job.
demo:
	$(CARGO) run --quiet --release --example grammar
	$(CARGO) run --quiet --release --example channels
	$(CARGO) run --quiet --release --example stream
	$(CARGO) run --quiet --release --example batch
	$(CARGO) run --quiet --release --example space
	$(CARGO) run --quiet --release --example ring
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

# rustdoc builds without warnings (broken intra-doc links fail the gate).
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib --quiet

# Unit, integration and doc tests; then the no_std code paths of the core on the host.
test-native:
	$(CARGO) test
	$(CARGO) test --lib --no-default-features
	$(CARGO) test --features serde --test grammar serde
	$(CARGO) test --features serde --test channels serde

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
	# proptest reads the working directory (isolation off) and runs few cases under Miri.
	MIRIFLAGS="-Zmiri-disable-isolation" PROPTEST_CASES=16 $(CARGO) +nightly miri test --lib -- ring sync

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

# Fuzz every target in fuzz/ for FUZZ_SECONDS each (nightly + cargo-fuzz; not part of `make test`).
# A target's libFuzzer dictionary, if any, is fuzz/dict/<target>.dict.
FUZZ_SECONDS ?= 60
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	for t in $$($(CARGO) +nightly fuzz list); do \
	  d="$(CURDIR)/fuzz/dict/$$t.dict"; \
	  $(CARGO) +nightly fuzz run "$$t" -- -max_total_time=$(FUZZ_SECONDS) $$([ -f "$$d" ] && echo "-dict=$$d"); \
	done
