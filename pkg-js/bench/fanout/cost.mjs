// What one fan-out job costs the fan-out code itself, without threads: the hub and a client joined
// by a real MessageChannel on ONE thread, `--lanes` loops of `take` a job + `push` a result.
// Every postMessage, structured clone and event dispatch still happens; what is missing is the
// cross-thread wake-up and the fight for cores, which make the thread rows of run.mjs swing.
//
//   node pkg-js/bench/fanout/cost.mjs [--jobs N] [--lanes W] [--runs R]
//
// Prints the median process CPU µs per job over R runs (after one warm-up run). Under callgrind
// (`make fanout-bench-callgrind`) the instruction count per job is the difference between two job
// counts divided by the extra jobs: start-up and wasm compilation cancel out.
import { serve } from "../../src/fanout/hub.js";
import { connect } from "../../src/fanout/client.js";
import { Space } from "./lindy.mjs";
import { STOP } from "./loop.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const jobs = arg("jobs", 100_000);
const lanes = arg("lanes", 64);
const runs = arg("runs", 7);

async function once() {
  const space = new Space();
  for (let i = 0; i < jobs; i++) space.push("jobs", i);
  for (let i = 0; i < lanes; i++) space.push("jobs", STOP);
  const { port1, port2 } = new MessageChannel();
  const hub = serve(space, port1, { locks: null });
  const remote = connect(port2, { locks: null, heartbeatMs: 0 });
  const cpu0 = process.cpuUsage();
  let done = 0;
  const lane = async () => {
    for (;;) {
      const job = await remote.take("jobs");
      if (job === STOP) return;
      await remote.push("results", job * 2);
      done++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const cpu = process.cpuUsage(cpu0);
  if (done !== jobs || space.len("results") !== jobs) throw new Error(`${done} jobs done, ${space.len("results")} results, expected ${jobs}`);
  const messages = hub.stats.messagesIn + hub.stats.messagesOut;
  remote.disconnect();
  hub.close();
  space.close();
  return { cpuUsPerJob: (cpu.user + cpu.system) / jobs, messagesPerJob: messages / jobs };
}

await once(); // warm-up: the JIT, the space's tables
const all = [];
for (let r = 0; r < runs; r++) all.push(await once());
all.sort((a, b) => a.cpuUsPerJob - b.cpuUsPerJob);
const mid = all[Math.floor(all.length / 2)];
console.log(
  `fan-out cost, one thread (Node ${process.version}): ${jobs} jobs, ${lanes} loops, median of ${runs}: ` +
    `${mid.cpuUsPerJob.toFixed(2)} CPU µs/job (min ${all[0].cpuUsPerJob.toFixed(2)}), ${mid.messagesPerJob.toFixed(3)} messages/job`,
);
