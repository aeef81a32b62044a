# lindy-redis: the Redis backends, tested against real local servers (issue 13).
#
#   make redis-test    clippy + tests of crates/lindy-redis against a standalone server (AOF on)
#                      and a 3-master cluster started on free 127.0.0.1 ports, stopped by PID after
#   make redis-bench   the benchmarks of docs/benchmarks/redis.md
#   make demo-redis    several worker processes sharing one RedisSpace, one killed mid-run
#
# The root gate's plain `cargo test` / `cargo clippy` cover only the root package, so they never
# need Redis; this crate's tests run only here, and fail (never skip) without the servers.
.PHONY: redis-setup redis-test redis-bench demo-redis

REDIS_SERVERS := crates/lindy-redis/scripts/servers.sh
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

redis-setup:
	@if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then \
	  for i in $$(seq 1 60); do \
	    $(SUDO) fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || break; \
	    echo "waiting for the dpkg lock"; sleep 5; \
	  done; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools; \
	fi

redis-test: redis-setup
	$(CARGO) clippy -p lindy-redis --all-targets -- -D warnings
	@dir=$$(mktemp -d -t lindy-redis.XXXXXX); \
	trap '$(REDIS_SERVERS) stop "'"$$dir"'"; rm -rf "'"$$dir"'"' EXIT; \
	$(REDIS_SERVERS) start "$$dir"; \
	source "$$dir/env"; \
	$(CARGO) test -p lindy-redis

redis-bench: redis-setup
	@dir=$$(mktemp -d -t lindy-redis.XXXXXX); \
	trap '$(REDIS_SERVERS) stop "'"$$dir"'"; rm -rf "'"$$dir"'"' EXIT; \
	$(REDIS_SERVERS) standalone "$$dir"; \
	source "$$dir/env"; \
	$(CARGO) bench -p lindy-redis --bench redis

demo-redis: redis-setup
	@dir=$$(mktemp -d -t lindy-redis.XXXXXX); \
	trap '$(REDIS_SERVERS) stop "'"$$dir"'"; rm -rf "'"$$dir"'"' EXIT; \
	$(REDIS_SERVERS) standalone "$$dir"; \
	source "$$dir/env"; \
	$(CARGO) build --quiet --release -p lindy-redis --example redis_workers; \
	target/release/examples/redis_workers

GATES += redis-test
