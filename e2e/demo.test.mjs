// End-to-end: the demo page in real headless Chromium, on the real wasm package.
//
//   node --test e2e/      (make e2e; needs `make pkg` first and /usr/bin/chromium)
//
// Runs 4 workers, kills one mid-run, checks every job was completed exactly once (the page counts
// the hub's ack events per job id), then reloads and checks the IndexedDB queue's contents.
// Saves a screenshot to target/demo.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const JOBS = 1200;

let server;
let browser;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page whose errors fail the test instead of vanishing. */
async function openDemo(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err));
  page.on("console", (msg) => msg.type() === "error" && errors.push(new Error(msg.text())));
  await page.goto(`${server.url}/www/`);
  await page.waitForSelector("body[data-ready='1']");
  return { page, errors };
}

test("job board: 4 workers, one killed, every job done exactly once; durable queue survives a reload", { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const { page, errors } = await openDemo(context);

  await page.fill("#workers", "4");
  await page.fill("#jobs", String(JOBS));
  await page.fill("#work-ms", "4");
  await page.click("#start");
  await page.waitForSelector("tr[data-worker='4']");

  // Kill worker 2 once the run is under way (it holds leases: 3 loops per worker).
  await page.waitForFunction((n) => globalThis.lindyDemo.state.done >= n, JOBS / 4);
  const held = await page.evaluate(() => globalThis.lindyDemo.state.workers[1].leased);
  await page.click("tr[data-worker='2'] button.kill");
  // The hub learns of the death (Web Lock released / port closed) and returns its leases.
  await page.waitForFunction(() => {
    const w = globalThis.lindyDemo.state.workers[1];
    return w.state === "killed" && w.leased === 0;
  });
  await page.waitForSelector(`body[data-finished]`, { timeout: 120_000 });

  const completions = await page.evaluate(() => globalThis.lindyDemo.completions());
  const workers = await page.evaluate(() => globalThis.lindyDemo.perWorker());
  assert.equal(Object.keys(completions).length, JOBS, "every job was completed");
  for (let id = 1; id <= JOBS; id++) assert.equal(completions[id], 1, `job ${id} completed exactly once`);
  assert.equal(workers.reduce((a, w) => a + w.done, 0), JOBS);
  const killed = workers.find((w) => w.n === 2);
  assert.equal(killed.state, "killed");
  assert.ok(held > 0, "worker 2 held leases when it was killed");
  assert.ok(killed.returned > 0, "its leased jobs went back to the queue");
  // Learned at once from the Web Lock the worker held (or the port's close event), not by waiting
  // out the heartbeat.
  assert.ok(["lock-released", "port-closed"].includes(killed.goneReason), `death detected by ${killed.goneReason}`);
  assert.equal(await page.evaluate(() => globalThis.lindyDemo.state.duplicates), 0);
  assert.match(await page.textContent("#log"), /went back to the head of "jobs"/);

  // Durable queue: add 5 jobs, then reload: they are still there, in order.
  await page.waitForSelector("body[data-role='leader']");
  await page.click("#durable-add");
  await page.waitForSelector("body[data-durable-len='5']");

  await mkdir(`${ROOT}/target`, { recursive: true });
  await page.screenshot({ path: `${ROOT}/target/demo.png`, fullPage: true });

  await page.reload();
  await page.waitForSelector("body[data-ready='1']");
  await page.waitForSelector("body[data-durable-len='5']");
  assert.equal(await page.textContent("#durable-head"), "report-001");
  await page.click("#durable-drain");
  await page.waitForSelector("body[data-durable-len='0']");
  const pulled = await page.$$eval("#durable-pulled li", (lis) => lis.map((li) => li.textContent));
  assert.deepEqual(pulled, ["report-001", "report-002", "report-003", "report-004", "report-005"]);

  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});

test("cross-tab: one leader owns the queue, a follower forwards to it, and takes over when it closes", { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const a = await openDemo(context);
  await a.page.waitForSelector("body[data-role='leader']");
  const b = await openDemo(context);
  await b.page.waitForSelector("body[data-role='follower']");

  // The follower's pushes are forwarded to the leader tab and committed there.
  await b.page.click("#durable-add");
  await b.page.waitForSelector("body[data-durable-len='5']");
  await a.page.waitForFunction(() => document.body.dataset.durableLen === "5");

  // Close the leader: the follower wins the Web Lock, opens IndexedDB itself, sees the same queue.
  await a.page.close();
  await b.page.waitForSelector("body[data-role='leader']");
  await b.page.waitForSelector("body[data-durable-len='5']");
  await b.page.click("#durable-pull");
  await b.page.waitForSelector("body[data-durable-len='4']");
  assert.deepEqual(await b.page.$$eval("#durable-pulled li", (lis) => lis.map((li) => li.textContent)), ["report-001"]);
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("cross-tab: BroadcastBus events reach the other tabs and a worker once, never the sender", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    await page.goto(`${server.url}/www/blank.html`);
    await page.evaluate(async (nodeId) => {
      const { BroadcastBus } = await import("/pkg-js/src/fanout/broadcast-bus.js");
      const bus = new BroadcastBus("lindy.e2e.bus", { nodeId });
      globalThis.got = [];
      bus.subscribe((ev, from) => globalThis.got.push([from, ev.kind]));
      globalThis.bus = bus;
    }, `tab-${i}`);
    pages.push(page);
  }
  // A dedicated worker of tab 0 is a node too.
  await pages[0].evaluate(async () => {
    const src = `import { BroadcastBus } from "${location.origin}/pkg-js/src/fanout/broadcast-bus.js";
      const bus = new BroadcastBus("lindy.e2e.bus", { nodeId: "worker" });
      const got = [];
      bus.subscribe((ev, from) => { got.push([from, ev.kind]); if (ev.kind === "end") postMessage(got); });
      onmessage = (e) => bus.publish(e.data);
      postMessage("ready");`;
    const worker = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })), { type: "module" });
    globalThis.workerGot = new Promise((resolve) => {
      worker.onmessage = (e) => (e.data === "ready" ? (globalThis.workerReady = true) : resolve(e.data));
    });
    globalThis.worker = worker;
    while (!globalThis.workerReady) await new Promise((r) => setTimeout(r, 5));
  });
  await pages[1].evaluate(() => {
    globalThis.bus.publish({ kind: "opened", name: "public:app.a" });
    globalThis.bus.publish({ kind: "closed", name: "public:app.a" });
  });
  await pages[0].evaluate(() => globalThis.worker.postMessage({ kind: "deleted", name: "private:app.b" }));
  await pages[2].evaluate(() => globalThis.bus.publish({ kind: "end" }));

  const wait = (page, n) => page.waitForFunction((k) => globalThis.got.length >= k, n);
  await wait(pages[0], 4);
  await wait(pages[1], 2);
  await wait(pages[2], 3);
  const got = await Promise.all(pages.map((p) => p.evaluate(() => globalThis.got)));
  const sorted = (xs) => [...xs].sort((a, b) => a.join().localeCompare(b.join()));
  assert.deepEqual(sorted(got[0]), sorted([["tab-1", "opened"], ["tab-1", "closed"], ["worker", "deleted"], ["tab-2", "end"]]));
  assert.deepEqual(sorted(got[1]), sorted([["worker", "deleted"], ["tab-2", "end"]]), "tab 1 never sees its own events");
  assert.deepEqual(sorted(got[2]), sorted([["tab-1", "opened"], ["tab-1", "closed"], ["worker", "deleted"]]));
  const workerGot = await pages[0].evaluate(() => globalThis.workerGot);
  assert.deepEqual(sorted(workerGot), sorted([["tab-1", "opened"], ["tab-1", "closed"], ["tab-2", "end"]]));
  await context.close();
});

test("cross-tab: a follower's waiting pull survives the leader's death; an aborted pull takes nothing", { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const open = async () => {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(err));
    await page.goto(`${server.url}/www/blank.html`);
    await page.evaluate(async () => {
      const { IdbStore } = await import("/pkg-js/store.js");
      const { openSharedQueue } = await import("/pkg-js/src/fanout/leader.js");
      globalThis.roles = [];
      globalThis.q = openSharedQueue("lindy-e2e-failover", {
        open: (name) => IdbStore.open(name),
        onRoleChange: (role) => globalThis.roles.push(role),
      });
      globalThis.bytes = (s) => new TextEncoder().encode(s);
      globalThis.text = (b) => new TextDecoder().decode(b);
    });
    return { page, errors };
  };
  const a = await open();
  await a.page.waitForFunction(() => globalThis.q.role === "leader");
  const b = await open();
  await b.page.waitForFunction(() => globalThis.q.leaderId !== null && globalThis.q.role === "follower");

  // A pull forwarded by the follower waits in the leader and is answered by the leader's push.
  await b.page.evaluate(() => {
    globalThis.first = globalThis.q.pull("k").then(globalThis.text);
  });
  await a.page.evaluate(() => globalThis.q.push("k", globalThis.bytes("one")));
  assert.equal(await b.page.evaluate(() => globalThis.first), "one");

  // The leader dies while the follower's pull waits: the follower becomes leader, re-runs it.
  await b.page.evaluate(() => {
    globalThis.second = globalThis.q.pull("k").then(globalThis.text);
  });
  await a.page.close();
  await b.page.waitForFunction(() => globalThis.q.role === "leader");
  await b.page.evaluate(() => globalThis.q.push("k", globalThis.bytes("two")));
  assert.equal(await b.page.evaluate(() => globalThis.second), "two");

  // A leader that steps down with close() hands over just the same; a pull waiting in it is re-sent.
  const c = await open();
  await c.page.waitForFunction(() => globalThis.q.role === "follower" && globalThis.q.leaderId !== null);
  await c.page.evaluate(() => {
    globalThis.third = globalThis.q.pull("k").then(globalThis.text);
  });
  await b.page.evaluate(() => globalThis.q.close());
  await c.page.waitForFunction(() => globalThis.q.role === "leader");
  assert.equal(await b.page.evaluate(() => globalThis.q.role), "closed");
  await c.page.evaluate(() => globalThis.q.push("k", globalThis.bytes("after-stepdown")));
  assert.equal(await c.page.evaluate(() => globalThis.third), "after-stepdown");

  // An aborted pull rejects with ABORTED and takes nothing.
  const aborted = await c.page.evaluate(async () => {
    const ctl = new AbortController();
    const p = globalThis.q.pull("k", { signal: ctl.signal }).then(
      () => "resolved",
      (e) => e.code,
    );
    ctl.abort();
    const outcome = await p;
    await globalThis.q.push("k", globalThis.bytes("three"));
    return { outcome, len: await globalThis.q.len("k") };
  });
  assert.deepEqual(aborted, { outcome: "ABORTED", len: 1 });
  assert.deepEqual([...a.errors, ...b.errors, ...c.errors], []);
  await context.close();
});

test("cross-tab: wasm Manager lifecycle events shared between tabs (shareEvents), no echo", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const pages = [];
  for (const nodeId of ["tab-a", "tab-b"]) {
    const page = await context.newPage();
    await page.goto(`${server.url}/www/blank.html`);
    await page.evaluate(async (id) => {
      const { Manager, init } = await import("/pkg-js/channels.js");
      await init();
      const { BroadcastBus, shareEvents } = await import("/pkg-js/src/fanout/broadcast-bus.js");
      globalThis.manager = new Manager();
      globalThis.got = [];
      (async () => {
        for await (const ev of shareEvents(globalThis.manager, new BroadcastBus("lindy.e2e.manager", { nodeId: id }))) {
          globalThis.got.push([ev.origin, ev.remote, ev.kind, ev.name]);
        }
      })();
    }, nodeId);
    pages.push(page);
  }
  await pages[0].evaluate(() => globalThis.manager.openPublic("public:shop.orders"));
  await pages[1].evaluate(() => globalThis.manager.createPrivate("private:shop.cart.7"));
  await pages[0].evaluate(() => globalThis.manager.delete("public:shop.orders"));
  for (const page of pages) await page.waitForFunction(() => globalThis.got.length >= 3);
  const [a, b] = await Promise.all(pages.map((p) => p.evaluate(() => globalThis.got)));
  const sort = (xs) => [...xs].sort((x, y) => x.join().localeCompare(y.join()));
  assert.deepEqual(
    sort(a),
    sort([
      ["tab-a", false, "opened", "public:shop.orders"],
      ["tab-b", true, "opened", "private:shop.cart.7"],
      ["tab-a", false, "deleted", "public:shop.orders"],
    ]),
  );
  assert.deepEqual(
    sort(b),
    sort([
      ["tab-a", true, "opened", "public:shop.orders"],
      ["tab-b", false, "opened", "private:shop.cart.7"],
      ["tab-a", true, "deleted", "public:shop.orders"],
    ]),
  );
  await context.close();
});
