// The bench itself, independent of where it runs (Node worker_threads or browser workers).
import { serve } from "../../src/fanout/hub.js";
import { expose } from "./rpc.js";
import { STOP } from "./loop.mjs";

/**
 * One timed run: fills a fresh space with `jobs` jobs (+ one STOP per loop), starts `workers`
 * workers, and times "go" → every worker done.
 *
 * @param {object} env `{ Space, spawn(): { post(msg, transfer), next(): Promise<msg>, terminate() }, cpu?(): number }`
 */
export async function runOnce(env, { transport, workers, lanes, leased = false, jobs }) {
  const space = new env.Space();
  for (let i = 0; i < jobs; i++) space.push("jobs", i);
  for (let i = 0; i < workers * lanes; i++) space.push("jobs", STOP);
  const threads = [];
  const connections = [];
  for (let w = 0; w < workers; w++) {
    const { port1, port2 } = new MessageChannel();
    if (transport === "hub") connections.push(serve(space, port1, { locks: null }));
    else expose(space, port1);
    const t = env.spawn();
    t.post({ port: port2, transport, lanes, leased }, [port2]);
    await t.next(); // ready
    threads.push(t);
  }
  const finished = threads.map((t) => t.next());
  const cpu0 = env.cpu?.();
  const start = performance.now();
  for (const t of threads) t.post("go");
  const counts = await Promise.all(finished);
  const ms = performance.now() - start;
  const cpuUs = env.cpu ? env.cpu() - cpu0 : NaN;
  const done = counts.reduce((a, c) => a + c.done, 0);
  if (done !== jobs || space.len("results") !== jobs) {
    throw new Error(`${transport}: ${done} jobs done, ${space.len("results")} results, expected ${jobs}`);
  }
  const messages = connections.reduce((a, c) => a + c.stats.messagesIn, 0);
  for (const c of connections) c.close();
  await Promise.all(threads.map((t) => t.terminate()));
  space.close();
  return { jobsPerSec: (jobs / ms) * 1000, messages, cpuUsPerJob: cpuUs / jobs };
}

/** Median (by jobs/s) of `runs` runs. */
export async function median(env, runs, opts) {
  const all = [];
  for (let r = 0; r < runs; r++) all.push(await runOnce(env, opts));
  all.sort((a, b) => a.jobsPerSec - b.jobsPerSec);
  return all[Math.floor(all.length / 2)];
}

/** The table rows: for 1, 2, 4 workers, the hub (plain and leased) and both RPC baselines. */
export async function measure(env, { jobs, lanes, runs, onRow = () => {} }) {
  const rows = [];
  for (const workers of [1, 2, 4]) {
    const common = { workers, jobs, lanes };
    const row = {
      workers,
      hub: await median(env, runs, { ...common, transport: "hub" }),
      leased: await median(env, runs, { ...common, transport: "hub", leased: true }),
      rpc1: await median(env, runs, { ...common, transport: "rpc", lanes: 1 }),
      rpc: await median(env, runs, { ...common, transport: "rpc" }),
    };
    rows.push(row);
    onRow(row);
  }
  return rows;
}

/** Formats the rows as a Markdown table plus the verdict on the target. */
export function report(rows, { jobs, lanes, runs, where }) {
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const head = [
    "workers",
    `hub, ${lanes} loops`,
    "hub leased",
    "RPC, 1 loop (baseline)",
    `RPC, ${lanes} loops`,
    "hub / baseline",
    `hub / RPC ${lanes} loops`,
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
    Number.isNaN(r.hub.cpuUsPerJob) ? "–" : `${r.hub.cpuUsPerJob.toFixed(1)} · ${r.rpc.cpuUsPerJob.toFixed(1)}`,
    (r.hub.messages / jobs).toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const at4 = rows.at(-1);
  const ratio = at4.hub.jobsPerSec / at4.rpc1.jobsPerSec;
  const same = at4.hub.jobsPerSec / at4.rpc.jobsPerSec;
  return [
    `fan-out, ${where}: ${fmt(jobs)} jobs (take + push each), median of ${runs} runs`,
    "",
    line(head),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...table.map(line),
    "",
    `target (issue 9): hub >= 10x the one-round-trip-per-operation baseline at 4 workers: ${ratio.toFixed(1)}x — ${ratio >= 10 ? "met" : "NOT met"}`,
    `against RPC with the same ${lanes} concurrent loops: ${same.toFixed(1)}x`,
  ].join("\n");
}
