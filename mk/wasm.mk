## crates/lindy-wasm: rustdoc of the wasm-bindgen surface (it builds only for wasm32, so the root
## `doc` rule, which documents the host build, does not see it).
.PHONY: wasm-doc
wasm-doc: setup
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps $(WASM_PKG) --target $(WASM) --quiet
GATES += wasm-doc

## The size of a core-only wasm (Space, Ring, grammar: `--no-default-features`) against the
## 60 KB gzipped budget of what `import "lindy"` should load. Informational (not in the gate):
## the package still ships one wasm with everything (see docs/js-internals.md).
.PHONY: wasm-size
WASM_CORE_DIR := target/wasm-core
WASM_CORE_BUDGET := 61440
wasm-size: tools
	$(CARGO) build --lib --target $(WASM) --profile wasm-release $(WASM_PKG) --no-default-features
	rm -rf $(WASM_CORE_DIR) && mkdir -p $(WASM_CORE_DIR)
	wasm-bindgen --target web --out-dir $(WASM_CORE_DIR) --out-name lindy target/$(WASM)/wasm-release/lindy_wasm.wasm
	$(WASM_OPT) -Oz --strip-debug --strip-producers --enable-reference-types --enable-bulk-memory \
	  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
	  $(WASM_CORE_DIR)/lindy_bg.wasm -o $(WASM_CORE_DIR)/lindy_bg.wasm
	@gz=$$(gzip -9c $(WASM_CORE_DIR)/lindy_bg.wasm | wc -c); glue=$$(gzip -9c $(WASM_CORE_DIR)/lindy.js | wc -c); \
	  echo "core wasm (Space, Ring, grammar): $$gz bytes gzipped + glue $$glue (budget $(WASM_CORE_BUDGET) for the wasm: $$([ $$gz -le $(WASM_CORE_BUDGET) ] && echo within || echo OVER))"
