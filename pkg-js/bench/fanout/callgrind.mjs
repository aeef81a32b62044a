// Instructions per fan-out job on one thread (cost.mjs) under callgrind: two runs that differ only
// in the number of jobs; the difference in instructions over the difference in jobs cancels
// Node's start-up and the wasm compilation. Deterministic enough to compare commits on a loaded
// machine where the thread rows of run.mjs swing.
//
//   node pkg-js/bench/fanout/callgrind.mjs [--lanes W]      (make fanout-bench-callgrind)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const lanesAt = process.argv.indexOf("--lanes");
const lanes = lanesAt > 0 ? Number(process.argv[lanesAt + 1]) : 64;
const cost = fileURLToPath(new URL("./cost.mjs", import.meta.url));
const RUNS = 3; // + the warm-up run cost.mjs always makes
const SMALL = 10_000;
const LARGE = 30_000;

function instructions(jobs) {
  const out = spawnSync(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", "--smc-check=all-non-file", process.execPath, cost, "--jobs", String(jobs), "--lanes", String(lanes), "--runs", String(RUNS)],
    { encoding: "utf8" },
  );
  const hit = /Collected : (\d+)/.exec(out.stderr ?? "");
  if (out.status !== 0 || !hit) throw new Error(`valgrind failed (status ${out.status}): ${out.error?.message ?? out.stderr?.slice(-2000)}`);
  return Number(hit[1]);
}

const small = instructions(SMALL);
const large = instructions(LARGE);
const perJob = (large - small) / ((LARGE - SMALL) * (RUNS + 1));
console.log(`fan-out cost under callgrind, one thread: ${lanes} loops: ${Math.round(perJob).toLocaleString("en-US")} instructions/job (hub + client + space + the loop)`);
