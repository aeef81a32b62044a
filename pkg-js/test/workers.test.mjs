// expose(space, worker) in the page, wrap() in the worker: two workers share one Space, in
// headless Chromium, with no MessageChannel written by hand.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startBrowser } from "./support/browser.mjs";

let chrome;
before(async () => {
  chrome = await startBrowser();
});
after(async () => {
  await chrome?.close();
});

test("two workers take jobs from the page's Space and put results back", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const { Space } = await import("lindy");
    const { expose } = await import("/src/workers.js");
    const space = new Space();
    const url = new URL("/test/workers-support/worker.js", location.href);
    const exposed = [];
    for (const name of ["w1", "w2"]) {
      const worker = new Worker(url, { type: "module", name });
      exposed.push(expose(space, worker));
    }
    const ready = [await space.take("ready"), await space.take("ready")].sort();
    space.outMany("jobs", Array.from({ length: 20 }, (_, i) => i));
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await space.take("results", { timeoutMs: 10_000 }));
    space.outMany("jobs", ["stop", "stop"]);
    const served = exposed.map((e) => e.connections.size);
    // Each worker takes a stop and disconnects; closing before that would reject its pending take
    // with CLOSED (an uncaught error in the worker), so wait for both goodbyes.
    const connections = exposed.flatMap((e) => [...e.connections]);
    while (connections.some((c) => c.open)) await new Promise((resolve) => setTimeout(resolve, 5));
    const reasons = connections.map((c) => c.closeReason);
    for (const e of exposed) e.close();
    return {
      jobs: results.map((r) => r.job).sort((a, b) => a - b),
      workers: [...new Set(results.map((r) => r.by))].sort(),
      served,
      ready,
      reasons,
      left: space.len("jobs"),
    };
  });
  assert.deepEqual(result.jobs, Array.from({ length: 20 }, (_, i) => i), "every job done exactly once");
  assert.deepEqual(result.ready, ["w1", "w2"], "both workers reached the page's space");
  assert.deepEqual(result.served, [1, 1]);
  assert.deepEqual(result.reasons, ["client-disconnected", "client-disconnected"], "both workers left on their own");
  assert.equal(result.left, 0, "each worker took one stop");
  assert.ok(result.workers.length >= 1);
  assert.deepEqual(page.errors, []);
});

test("either side may start first: a late expose, a late wrap", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const { Space } = await import("lindy");
    const { expose } = await import("/src/workers.js");
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const space = new Space();
    // The worker's hello arrives while nobody listens; expose comes 500 ms later.
    const early = new Worker(new URL("/test/workers-support/worker.js", location.href), { type: "module", name: "early" });
    await sleep(500);
    expose(space, early);
    // The page's first ask arrives before the worker calls wrap (300 ms after it starts).
    const late = new Worker(new URL("/test/workers-support/worker.js?delay=300", location.href), { type: "module", name: "late" });
    expose(space, late);
    const ready = [await space.take("ready", { timeoutMs: 10_000 }), await space.take("ready", { timeoutMs: 10_000 })];
    space.outMany("jobs", ["stop", "stop"]);
    return ready.sort();
  });
  assert.deepEqual(result, ["early", "late"]);
  assert.deepEqual(page.errors, []);
});

test("expose and wrap refuse what they cannot use, with codes", async () => {
  const { expose, wrap } = await import("../src/workers.js");
  const { Space } = await import("lindy");
  assert.throws(() => expose(new Space(), {}), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => wrap({}), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
});
