# Docs and vocabulary (issue 17).
#
# * docs-check (gate): every benchmark page in docs/benchmarks/ is listed in BENCHMARKS.md, the
#   optional `tokio` feature's tests (TokioTimer under tokio's paused clock) pass, and
#   vocab-check passes.
# * vocab-check: no doc (docs/**/*.md, README.md, pkg-js/README.md) uses a name
#   docs/vocabulary.md retired, outside a note recording the rename ("renamed from",
#   "deprecated", …): `docs_use_the_vocabulary` in tests/doc_conventions.rs.
# * docs-links: every relative link in README.md, BENCHMARKS.md, CHANGELOG.md and docs/*.md (not
#   the README drafts, whose links are relative to the root)
#   resolves (gate).
.PHONY: docs-check docs-links test-tokio vocab-check

docs-check: test-tokio vocab-check docs-links
	@missing=0; for f in docs/benchmarks/*.md; do \
	  grep -q "($$f)" BENCHMARKS.md || { echo "BENCHMARKS.md does not list $$f"; missing=1; }; \
	done; exit $$missing
	@echo "docs-check: every docs/benchmarks page is listed in BENCHMARKS.md"

docs-links:
	@bad=0; for doc in README.md BENCHMARKS.md CHANGELOG.md $$(ls docs/*.md | grep -v '^docs/readme-'); do \
	  dir=$$(dirname "$$doc"); \
	  for link in $$(grep -o '](\([^)#: ]*\)[)#]' "$$doc" | sed 's/^](//; s/[)#]$$//' | sort -u); do \
	    [ -e "$$dir/$$link" ] || { echo "$$doc: broken link $$link"; bad=1; }; \
	  done; \
	done; exit $$bad

vocab-check:
	$(CARGO) test --quiet --test doc_conventions docs_use_the_vocabulary

test-tokio:
	$(CARGO) test --quiet --features tokio --test batch
	$(CARGO) test --quiet --features tokio --doc batch

GATES += docs-check
