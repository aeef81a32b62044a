## crates/lindy-wasm: rustdoc of the wasm-bindgen surface (it builds only for wasm32, so the root
## `doc` rule, which documents the host build, does not see it).
.PHONY: wasm-doc
wasm-doc: setup
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps $(WASM_PKG) --target $(WASM) --quiet
GATES += wasm-doc

## Each package entry's wasm is lindy-wasm built with only that entry's features (`make pkg`,
## PKG_ENTRIES in the Makefile): every one of those feature sets must build warning-free on its
## own (a module used only by another entry would otherwise leave dead code or broken cfgs).
.PHONY: wasm-entries-clippy
wasm-entries-clippy: setup
	for features in $(foreach e,$(PKG_ENTRIES),$(word 2,$(subst :, ,$(e)))); do \
	  $(CARGO) clippy --quiet --lib --target $(WASM) $(WASM_PKG) --no-default-features --features "$$features" -- $(WASM_CLIPPY); \
	done
GATES += wasm-entries-clippy
