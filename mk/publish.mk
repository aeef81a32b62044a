# Ready to publish (issue 17): the crates.io and npm dry runs, and the declared MSRV.
#
# * publish-crates: `cargo publish --dry-run --workspace` packs every publishable crate of the
#   workspace (lindy, lindy-log, lindy-redis; lindy-wasm is `publish = false` and lindy-firmware
#   is outside the workspace) and builds each from its packed sources alone (what crates.io would
#   get). The members depend on `lindy` by path + version: cargo packs lindy first and resolves
#   the others against that package in a temporary local registry, so nothing needs to be on
#   crates.io yet. --allow-dirty: the gate runs after builds that may leave untracked files; the
#   packed file list is fixed by each crate's `include`.
# * msrv: the toolchain of `rust-version` cannot be installed on these machines (only stable and
#   nightly exist and no toolchain can be fetched), so the MSRV is checked by what does not need
#   it: clippy's `incompatible_msrv` lint (std APIs newer than `rust-version`, denied here) and
#   tests/msrv.rs (no dependency in the resolved graph declares a newer `rust-version`).
# * publish-npm: `npm pack` of the built package, installed in a scratch project: every `exports`
#   entry packed, typed and loading (pkg-js/scripts/check-pack.mjs).
# * docs-rs: the docs.rs build (nightly, `--cfg docsrs`, the features in
#   [package.metadata.docs.rs]) of lindy and lindy-redis without warnings (lindy-log is a
#   binary: docs.rs shows its README).
.PHONY: publish-check publish-crates publish-npm msrv docs-rs

publish-check: publish-crates msrv docs-rs publish-npm

publish-crates:
	$(CARGO) publish --dry-run --allow-dirty --locked --workspace

msrv:
	$(CARGO) clippy --lib --all-features --quiet -- -D clippy::incompatible_msrv
	$(CARGO) clippy -p lindy-redis -p lindy-log --quiet -- -D clippy::incompatible_msrv
	$(CARGO) test --quiet --test msrv

# docs.rs builds with nightly; a machine without a nightly toolchain (none can be fetched on some)
# builds the same docs on stable with RUSTC_BOOTSTRAP=1, which unlocks `doc_cfg` the same way.
docs-rs:
	@if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then tc=+nightly; boot=; \
	else tc=; boot=1; echo "docs-rs: no nightly toolchain here, stable with RUSTC_BOOTSTRAP=1"; fi; \
	RUSTC_BOOTSTRAP=$$boot RUSTDOCFLAGS="--cfg docsrs -D warnings" \
	  $(CARGO) $$tc doc --no-deps --lib --features serde,tokio --quiet --target-dir target/docs-rs && \
	RUSTC_BOOTSTRAP=$$boot RUSTDOCFLAGS="--cfg docsrs -D warnings" \
	  $(CARGO) $$tc doc --no-deps --lib -p lindy-redis --quiet --target-dir target/docs-rs

# Every entry of `exports` (lindy, lindy/channels, lindy/store, workers, fanout, the wasm files):
# packed, typed, and loading from the installed tarball (pkg-js/scripts/check-pack.mjs).
publish-npm: pkg
	cd pkg-js && node scripts/check-pack.mjs

GATES += publish-check
