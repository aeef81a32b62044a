// Jobs/s through the fan-out hub vs one postMessage round trip per operation (Comlink-style RPC).
//
//   node pkg-js/bench/fanout/run.mjs [--jobs N] [--lanes W] [--runs R] [--browser]
//
// The main thread owns a lindy Space (the wasm package) holding N jobs; 1, 2 or 4 workers drain
// it. A worker runs job loops: take a job, compute, push a result, until it takes a STOP sentinel.
// Every transport does exactly the same operations against the same space:
//   hub            W concurrent loops per worker over `connect(port)`: the operations of one task
//                  travel as one message, the answers as one reply
//   hub leased     the same with takeLeased + out + ack (at-least-once, one more operation per job)
//   RPC, 1 loop    the baseline the issue names: Comlink-style `await api.take(); await api.push()`,
//                  one postMessage round trip per operation
//   RPC, W loops   the same RPC with as many concurrent loops as the hub (one message per
//                  operation, but pipelined): isolates what batching buys from what concurrency buys
// Median of R runs per row (wall clock, from "go" to the last worker done). CPU µs/job (Node only)
// is the process CPU time, all threads, per job: steadier than wall time on a loaded machine.
// --browser runs the same bench in headless Chromium with module workers (bench/fanout/browser.html).
import { Worker } from "node:worker_threads";
import { measure, report } from "./core.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const cfg = { jobs: arg("jobs", 100_000), lanes: arg("lanes", 64), runs: arg("runs", 3) };

if (process.argv.includes("--browser")) {
  const { chromium } = await import("playwright-core");
  const { startServer } = await import("../../../e2e/serve.mjs");
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/pkg-js/bench/fanout/browser.html?jobs=${cfg.jobs}&lanes=${cfg.lanes}&runs=${cfg.runs}`);
    await page.waitForFunction(() => globalThis.benchResult, null, { timeout: 0 });
    console.log(`\n${await page.evaluate(() => globalThis.benchResult)}`);
  } finally {
    await browser.close();
    await server.close();
  }
} else {
  const { Space } = await import("./lindy.mjs");
  const workerUrl = new URL("./worker.mjs", import.meta.url);
  const env = {
    Space,
    spawn() {
      const t = new Worker(workerUrl);
      return {
        post: (msg, transfer) => t.postMessage(msg, transfer),
        next: () => new Promise((r) => t.once("message", r)),
        terminate: () => t.terminate(),
      };
    },
    cpu() {
      const { user, system } = process.cpuUsage();
      return user + system;
    },
  };
  const rows = await measure(env, cfg);
  console.log(`\n${report(rows, { ...cfg, where: `Node ${process.version} worker_threads` })}`);
}
