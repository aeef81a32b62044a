# Thread hand-off and lock-seam benchmarks (issue 18). Not in the gate: benches measure, they do
# not pass or fail. Tables and the commands that made them: docs/benchmarks/threads.md.
#
#   make bench-callgrind   single-thread rows with callgrind instruction counts next to the times
#   make bench-threads     thread rows twice: idle (no hog of ours) and loaded (a spinning hog)
#
# BENCH_HOG sets how many spinning threads the loaded regime runs beside the bench (default 1 of
# this machine's 2 cores).
BENCH_HOG ?= 1

.PHONY: bench-callgrind bench-threads perf-valgrind

# valgrind from Debian when missing (CI and fresh machines start without it).
perf-valgrind:
	@command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }

# Each single-thread table runs itself under callgrind twice per row (N and 2N operations) and
# reports the difference per operation: start-up and warm-up cancel out, and the count does not
# depend on what else the machine runs.
bench-callgrind: perf-valgrind
	LINDY_BENCH_CALLGRIND=1 $(CARGO) bench --bench space -- single_thread_one_key
	LINDY_BENCH_CALLGRIND=1 $(CARGO) bench --bench ring -- single-thread uncontended
	LINDY_BENCH_CALLGRIND=1 $(CARGO) bench --bench stream -- current-thread

bench-threads:
	$(CARGO) bench --bench ring -- two-threads
	LINDY_BENCH_HOG=$(BENCH_HOG) $(CARGO) bench --bench ring -- two-threads
	$(CARGO) bench --bench space -- one_producer_one_consumer eight_by_eight
	LINDY_BENCH_HOG=$(BENCH_HOG) $(CARGO) bench --bench space -- one_producer_one_consumer eight_by_eight
	$(CARGO) bench --bench stream
	LINDY_BENCH_HOG=$(BENCH_HOG) $(CARGO) bench --bench stream
