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
	$(CARGO) run --quiet --release --example space

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
	$(CARGO) test --features serde --test grammar serde

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
