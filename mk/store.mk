## store (src/store/, crates/lindy-log): the CLI's tests and the long store runs.
.PHONY: test-store-cli soak-store

# The lindy-log CLI is its own workspace member (crates/lindy-log); `cargo test` at the root
# tests only the root package.
test-native: test-store-cli
test-store-cli:
	$(CARGO) test -p lindy-log

# The long runs (the bounded versions run inside `make test`): the kill -9 crash loop and the
# power-loss crash simulator at length. (The syscall-fault countdown is exhaustive already.)
soak: soak-store
soak-store:
	LINDY_CRASH_ITERS=$${LINDY_CRASH_ITERS:-2000} $(CARGO) test --release --test store_crash -- --nocapture kill_9_crash_loop
	LINDY_CRASH_WORKLOADS=$${LINDY_CRASH_WORKLOADS:-1000} $(CARGO) test --release --test store_crash_sim -- --nocapture

# Real ENOSPC and EROFS on a 256 KiB tmpfs (tests/store_enospc.rs). Mounting needs root: as
# root it is part of the gate; otherwise `make` says so (it never passes silently).
.PHONY: test-store-enospc
# A root without the right to mount (some containers) cannot run it: that is said loudly, the way
# issue 16 allows ("where the machine allows"); any other failure fails the gate.
test-store-enospc:
	@d=$$(mktemp -d); \
	if ! mount -t tmpfs -o size=256k lindy-enospc "$$d"; then \
	  rmdir "$$d"; echo "test-store-enospc: NOT RUN — this machine does not allow mounting a tmpfs"; exit 0; \
	fi; \
	trap 'umount "$$d"; rmdir "$$d"' EXIT; \
	LINDY_TMPFS_DIR="$$d" $(CARGO) test --test store_enospc -- --ignored
ifeq ($(shell id -u),0)
GATES += test-store-enospc
else
$(info store: not root, so the real-ENOSPC tmpfs test (make test-store-enospc) is not in the gate)
endif

# The store's benchmark rows (issue 18), one command each; peers run in the same process,
# interleaved, and the ratios are printed under each table (docs/benchmarks/store.md).
.PHONY: bench-store bench-store-never
bench-store:
	$(CARGO) bench --bench store
bench-store-never:
	STORE_BENCH=never $(CARGO) bench --bench store
# The same Never rows as a single-thread table with callgrind instruction counts per push.
.PHONY: bench-store-callgrind
bench-store-callgrind: perf-valgrind
	LINDY_BENCH_CALLGRIND=1 STORE_BENCH=instr $(CARGO) bench --bench store
