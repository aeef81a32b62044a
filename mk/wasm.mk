## crates/lindy-wasm: rustdoc of the wasm-bindgen surface (it builds only for wasm32, so the root
## `doc` rule, which documents the host build, does not see it).
.PHONY: wasm-doc
wasm-doc: setup
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps $(WASM_PKG) --target $(WASM) --quiet
GATES += wasm-doc
