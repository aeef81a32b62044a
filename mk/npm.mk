## The npm package as users get it (issue 14, items 3–6): the packed tarball in every bundler and
## runtime, its file list, the types without the DOM lib.
.PHONY: js-consumers js-consumers-tools
CONSUMERS := pkg-js/test/consumers

# Bundlers from npm at the versions in the consumers' package-lock.json (one shared
# node_modules for every consumer); reinstalled only when the lock changes.
js-consumers-tools: tools
	@if ! cmp -s $(CONSUMERS)/package-lock.json $(CONSUMERS)/node_modules/.lindy-lock; then \
	  cd $(CONSUMERS) && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.lindy-lock; \
	fi

# `npm pack` the package (pkg-js/pack/, the minified copy `make pkg` assembles) and unpack the tarball into the consumers' node_modules/lindy: what the
# tests load is exactly what npm would publish.
js-consumers: pkg js-consumers-tools
	rm -rf $(CONSUMERS)/node_modules/lindy $(CONSUMERS)/node_modules/.lindy-pack
	mkdir -p $(CONSUMERS)/node_modules/lindy $(CONSUMERS)/node_modules/.lindy-pack
	cd pkg-js/pack && npm pack --silent --pack-destination ../test/consumers/node_modules/.lindy-pack >/dev/null
	tar -xzf $(CONSUMERS)/node_modules/.lindy-pack/lindy-*.tgz -C $(CONSUMERS)/node_modules/lindy --strip-components=1
	cd $(CONSUMERS) && node --test consumers.test.mjs

GATES += js-consumers
