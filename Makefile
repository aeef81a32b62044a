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
.PHONY: tools pkg wasm-clippy wasm-test js-test js-bench

# Each area keeps its own targets in mk/<area>.mk and appends its gate to GATES there, so the
# areas grow without editing one another's rules.
GATES :=
include $(sort $(wildcard mk/*.mk))

## The gate (CI runs this).
test: setup fmt clippy doc test-native nostd loom wasm-test js-test e2e $(GATES)
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
	@echo; echo "== across machines: worker processes sharing one RedisSpace, one killed mid-run"
	$(MAKE) --no-print-directory demo-redis
	@echo; echo "== the web demo: worker fan-out job board (Ctrl-C to stop)"
	$(MAKE) --no-print-directory demo-web

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
	$(CARGO) clippy -p lindy-log --all-targets -- -D warnings
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
	MIRIFLAGS="-Zmiri-disable-isolation" PROPTEST_CASES=16 $(CARGO) +nightly miri test --lib -- ring sync space::hand_off
	# store: the log codec and replay (byte slicing at computed offsets, on untrusted input). The
	# two linear-work tests replay megabytes, hours under Miri: they run natively in `make test`.
	MIRIFLAGS="-Zmiri-disable-isolation" PROPTEST_CASES=16 $(CARGO) +nightly miri test --lib -- \
	  store::codec store::replay --skip megabyte --skip plausible_headers

bench:
	$(CARGO) bench


# Fuzz every target in fuzz/ for FUZZ_SECONDS each (nightly + cargo-fuzz; not part of `make test`).
# A target's libFuzzer dictionary, if any, is fuzz/dict/<target>.dict. Every input has a time
# budget (FUZZ_TIMEOUT seconds): a slow path is reported as a crash, not passed.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	for t in $$($(CARGO) +nightly fuzz list); do \
	  d="$(CURDIR)/fuzz/dict/$$t.dict"; \
	  $(CARGO) +nightly fuzz run "$$t" -- -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) $$([ -f "$$d" ] && echo "-dict=$$d"); \
	done
## The npm package (pkg-js/): wasm-bindgen surface, IndexedDB store, tests in Node and headless Chromium.
# The wasm-bindgen surface is its own workspace member, crates/lindy-wasm (the core has no
# wasm-bindgen and no cdylib). The wasm-bindgen CLI must be exactly the version it pins.
WASM_CRATE := crates/lindy-wasm
WASM_PKG := -p lindy-wasm
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' $(WASM_CRATE)/Cargo.toml)
PKG_DIST := pkg-js/dist
# wasm-opt from npm's `binaryen` (pinned in pkg-js/package-lock.json): Debian's binaryen 108 breaks
# wasm-bindgen's externref table (the module then fails at init in Table.set).
WASM_OPT := node pkg-js/node_modules/binaryen/bin/wasm-opt
# Scoped runs: the wasm test runner exits 1 with "no tests to run!" on a binary without tests.
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  $(CARGO) test --target $(WASM) $(WASM_PKG)
WASM_BROWSER := WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/$(WASM_CRATE)/tests/wasm-webdriver.json WASM_BINDGEN_TEST_TIMEOUT=120

# Installs what the package needs, only what is missing: Chromium + chromedriver (Debian), the
# pinned wasm-bindgen CLI, and pkg-js's node modules (from package-lock.json: binaryen's wasm-opt,
# esbuild for the minified pack/, playwright-core, typescript, idb-keyval).
tools: setup
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! cmp -s pkg-js/package-lock.json pkg-js/node_modules/.lindy-lock; then \
	  cd pkg-js && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.lindy-lock; \
	fi

# Builds pkg-js/dist: one wasm per package entry, each from the lindy-wasm features it needs, so
# an entry loads only its own wasm (docs/js-packaging.md): `lindy` (Space, grammar), `lindy/ring`
# (Ring), `lindy/channels` (Manager, Streams), `lindy/store` (IdbStore). Each is one ESM build
# (wasm-bindgen --target web) that the browser entry loads with fetch and the Node entry with
# readFile; then wasm-opt -Oz, the module's import/export names minified in the wasm and the glue
# alike (scripts/minify-names.mjs), and the glue reprinted without wasm-bindgen's copies of the Rust
# doc comments (scripts/strip-comments.mjs). Then pkg-js/pack/: the package as npm ships it, every
# JS file minified by esbuild (scripts/pack.mjs; `npm pack` runs there, the repo keeps the readable
# source). Last, the size table of pack/: what a page loads for each entry (its JS
# module graph + its wasm), raw and gzipped, against the entry's budget; over budget fails.
# The `wasm-release` profile (root Cargo.toml) adds `panic = "abort"` and per-crate opt-levels.
# The budget is the ceiling `make pkg` holds today plus ~2 KB (a size regression fails it); the
# target (issue 14: 60 KB gzipped for what `import "lindy"` loads; met) is printed next to it.
#   entry : lindy-wasm features : output name : browser entry file : gzipped budget : target (bytes)
PKG_ENTRIES := lindy:space:lindy:index.js:57600:61440 \
  lindy/ring:ring:ring:ring.js:27136:61440 \
  lindy/channels:manager,streams:channels:channels.js:81408:61440 \
  lindy/store:idb:store:store.js:64256:61440
WASM_OPT_FLAGS := -Oz --strip-debug --strip-producers --enable-reference-types --enable-bulk-memory \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue
pkg: tools
	rm -rf $(PKG_DIST) && mkdir -p $(PKG_DIST)
	for e in $(PKG_ENTRIES); do \
	  IFS=: read -r entry features out file budget <<<"$$e"; \
	  $(CARGO) build --quiet --lib --target $(WASM) --profile wasm-release $(WASM_PKG) --no-default-features --features "$$features"; \
	  wasm-bindgen --target web --no-typescript --out-dir $(PKG_DIST) --out-name "$$out" target/$(WASM)/wasm-release/lindy_wasm.wasm; \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) "$(PKG_DIST)/$${out}_bg.wasm" -o "$(PKG_DIST)/$${out}_bg.wasm"; \
	  node pkg-js/scripts/minify-names.mjs "$(PKG_DIST)/$${out}_bg.wasm" "$(PKG_DIST)/$${out}.js"; \
	  node pkg-js/scripts/strip-comments.mjs "$(PKG_DIST)/$${out}.js"; \
	done
	cd pkg-js && node scripts/pack.mjs
	cd pkg-js && node scripts/sizes.mjs --root=pack $(foreach e,$(PKG_ENTRIES),$(word 1,$(subst :, ,$(e)))=$(word 4,$(subst :, ,$(e))):dist/$(word 3,$(subst :, ,$(e)))_bg.wasm:$(word 5,$(subst :, ,$(e))):$(word 6,$(subst :, ,$(e))))

# On single-threaded wasm the default lock is not Sync, so an Arc around lindy's state is
# "not Send + Sync" there by design: that one lint is off for this target.
WASM_CLIPPY := -D warnings -A clippy::arc_with_non_send_sync
wasm-clippy:
	$(CARGO) clippy --target $(WASM) $(WASM_PKG) --lib --test wasm --test wasm_idb --test wasm_idb_kit --test wasm_space -- $(WASM_CLIPPY)

# wasm-bindgen-test: the surface in Node and in headless Chromium; IndexedDB only in Chromium.
wasm-test: tools wasm-clippy
	$(WASM_TEST) --test wasm --test wasm_space
	$(WASM_BROWSER) $(WASM_TEST) --test wasm --test wasm_idb --test wasm_space
	# The conformance kit on IndexedDB; --nocapture prints its pass counts.
	$(WASM_BROWSER) $(WASM_TEST) --test wasm_idb_kit -- --nocapture

# The package as a user imports it (`import { Space } from "lindy"`), in Node and in Chromium.
js-test: pkg
	cd pkg-js && node --test test/*.test.mjs

js-bench: pkg
	cd pkg-js && node bench/run.mjs

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
# docs/benchmarks/js.md).
fanout-bench: pkg
	node pkg-js/bench/fanout/run.mjs
