# The npm package's performance targets (issue 14), one command each; no gate (timings never gate).
#
#   make js-bench               Space vs pure JS, hub put-back, IndexedDB: Node + headless Chromium
#   make fanout-bench           fan-out hub vs one postMessage RPC per operation, Node worker_threads
#   make fanout-bench-browser   the same in headless Chromium with module workers
#   make js-bench-all           all three, in that order (the tables of docs/benchmarks/js.md)
#   make fanout-bench-cost      the fan-out code alone on one thread: CPU µs/job
#   make fanout-bench-callgrind the same as instructions/job under callgrind (compares commits)
.PHONY: fanout-bench-browser js-bench-all

fanout-bench-browser: pkg
	node pkg-js/bench/fanout/run.mjs --browser

js-bench-all: js-bench fanout-bench fanout-bench-browser

# The fan-out hub's own cost per job on one thread (no cross-thread wake-ups): CPU µs/job, then
# instructions/job under callgrind (steady on a loaded machine; compares commits).
.PHONY: fanout-bench-cost fanout-bench-callgrind
fanout-bench-cost: pkg
	node pkg-js/bench/fanout/cost.mjs

fanout-bench-callgrind: pkg perf-valgrind
	node pkg-js/bench/fanout/callgrind.mjs
