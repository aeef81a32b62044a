// Jobs/s through the fan-out hub vs one postMessage round trip per operation (Comlink-style RPC).
//
//   node pkg-js/bench/fanout/run.mjs [--jobs N] [--lanes W] [--runs R]
//
// The main thread owns a lindy Space (the wasm package) holding N jobs; 1, 2 or 4 worker threads
// drain it. A worker runs job loops: take a job, compute, out a result, until it takes a STOP
// sentinel. Every transport does exactly the same operations against the same space:
//   hub            W concurrent loops per worker over `connect(port)`: the operations of one task
//                  travel as one message, the answers as one reply
//   hub leased     the same with takeLeased + out + ack (at-least-once, one more operation per job)
//   RPC, 1 loop    the baseline the issue names: Comlink-style `await api.take(); await api.out()`,
//                  one postMessage round trip per operation
//   RPC, W loops   the same RPC with as many concurrent loops as the hub (one message per
//                  operation, but pipelined): isolates what batching buys from what concurrency buys
// Median of R runs per row (wall clock, from "go" to the last worker done). CPU µs/job is the
// process CPU time (all threads) per job: steadier than wall time on a loaded machine.
import { Worker } from "node:worker_threads";
import { serve } from "../../src/fanout/hub.js";
import { expose } from "./rpc.js";
import { Space } from "./lindy.mjs";

const STOP = -1;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const JOBS = arg("jobs", 100_000);
const LANES = arg("lanes", 64);
const RUNS = arg("runs", 3);
const workerUrl = new URL("./worker.mjs", import.meta.url);

async function once(transport, workers, { leased = false, lanes = LANES } = {}) {
  const space = new Space();
  for (let i = 0; i < JOBS; i++) space.out("jobs", i);
  for (let i = 0; i < workers * lanes; i++) space.out("jobs", STOP);
  const threads = [];
  const connections = [];
  for (let w = 0; w < workers; w++) {
    const { port1, port2 } = new MessageChannel();
    if (transport === "hub") connections.push(serve(space, port1, { locks: null }));
    else expose(space, port1);
    const t = new Worker(workerUrl);
    t.postMessage({ port: port2, transport, lanes, leased }, [port2]);
    await new Promise((r) => t.once("message", r)); // ready
    threads.push(t);
  }
  const finished = threads.map((t) => new Promise((r) => t.once("message", r)));
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (const t of threads) t.postMessage("go");
  const counts = await Promise.all(finished);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const done = counts.reduce((a, c) => a + c.done, 0);
  if (done !== JOBS || space.len("results") !== JOBS) {
    throw new Error(`${transport}: ${done} jobs done, ${space.len("results")} results, expected ${JOBS}`);
  }
  const messages = connections.reduce((a, c) => a + c.stats.messagesIn, 0);
  for (const c of connections) c.close();
  await Promise.all(threads.map((t) => t.terminate()));
  return { jobsPerSec: (JOBS / ms) * 1000, messages, cpuUsPerJob: (cpu.user + cpu.system) / JOBS };
}

async function median(transport, workers, opts) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await once(transport, workers, opts));
  runs.sort((a, b) => a.jobsPerSec - b.jobsPerSec);
  return runs[Math.floor(runs.length / 2)];
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const rows = [];
for (const workers of [1, 2, 4]) {
  const hub = await median("hub", workers);
  const leased = await median("hub", workers, { leased: true });
  const rpc1 = await median("rpc", workers, { lanes: 1 });
  const rpc = await median("rpc", workers);
  rows.push({ workers, hub, leased, rpc1, rpc });
}

console.log(
  `\nfan-out: ${fmt(JOBS)} jobs (take + out each), ${LANES} loops per worker where noted, median of ${RUNS} runs, Node ${process.version}\n`,
);
const head = [
  "workers",
  `hub, ${LANES} loops`,
  "hub leased",
  "RPC, 1 loop (baseline)",
  `RPC, ${LANES} loops`,
  "hub / baseline",
  `hub / RPC ${LANES} loops`,
  "CPU µs/job hub · RPC",
  "msgs/job hub",
];
const table = rows.map((r) => [
  String(r.workers),
  `${fmt(r.hub.jobsPerSec)} jobs/s`,
  `${fmt(r.leased.jobsPerSec)} jobs/s`,
  `${fmt(r.rpc1.jobsPerSec)} jobs/s`,
  `${fmt(r.rpc.jobsPerSec)} jobs/s`,
  `${(r.hub.jobsPerSec / r.rpc1.jobsPerSec).toFixed(1)}×`,
  `${(r.hub.jobsPerSec / r.rpc.jobsPerSec).toFixed(1)}×`,
  `${r.hub.cpuUsPerJob.toFixed(1)} · ${r.rpc.cpuUsPerJob.toFixed(1)}`,
  (r.hub.messages / JOBS).toFixed(3),
]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(head));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table) console.log(line(row));
const at4 = rows.at(-1);
const ratio = at4.hub.jobsPerSec / at4.rpc1.jobsPerSec;
const same = at4.hub.jobsPerSec / at4.rpc.jobsPerSec;
console.log(
  `\ntarget (issue 9): hub >= 10x the one-round-trip-per-operation baseline at 4 workers: ${ratio.toFixed(1)}x — ${ratio >= 10 ? "met" : "NOT met"}` +
    `\nagainst RPC with the same ${LANES} concurrent loops: ${same.toFixed(1)}x`,
);
