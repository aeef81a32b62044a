// The BroadcastChannel EventBus: every other node gets each event once, the sender never does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { BroadcastBus } from "../src/fanout/broadcast-bus.js";

const T = { timeout: 20_000 };
let n = 0;
const fresh = () => `lindy.test.bus.${process.pid}.${n++}`;

function recorder(bus) {
  const got = [];
  bus.subscribe((ev, from) => got.push({ ev, from }));
  return got;
}

// BroadcastChannel delivery is asynchronous: a sentinel published last from the same node arrives
// after everything published before it (per-sender order), so waiting for it is enough.
async function until(got, pred) {
  while (!got.some(pred)) await new Promise((r) => setTimeout(r, 2));
}

test("events reach every other node once, never the sender", T, async () => {
  const channel = fresh();
  const a = new BroadcastBus(channel, { nodeId: "A" });
  const b = new BroadcastBus(channel, { nodeId: "B" });
  const c = new BroadcastBus(channel, { nodeId: "C" });
  const [gotA, gotB, gotC] = [a, b, c].map(recorder);
  const worker = new Worker(new URL("./fanout-support/bus-worker.mjs", import.meta.url), {
    workerData: { channel, nodeId: "D" },
  });
  const gotD = [];
  await new Promise((r) => worker.once("message", r)); // ready
  worker.on("message", (m) => m.got && gotD.push(m));

  const opened = { kind: "opened", name: "public:app.orders", at: 1 };
  const deleted = { kind: "deleted", name: "private:app.chat.9", at: 2 };
  await a.publish(opened);
  await a.publish(deleted);
  await b.publish({ kind: "end" });
  for (const got of [gotC]) await until(got, (e) => e.ev.kind === "end");
  await until(gotA, (e) => e.ev.kind === "end");
  await until(gotD, (e) => e.got.kind === "end");

  assert.deepEqual(gotB.map((e) => [e.from, e.ev]), [["A", opened], ["A", deleted]]);
  assert.deepEqual(gotC.map((e) => [e.from, e.ev]), [["A", opened], ["A", deleted], ["B", { kind: "end" }]]);
  assert.deepEqual(gotD.map((e) => [e.from, e.got]), [["A", opened], ["A", deleted], ["B", { kind: "end" }]]);
  assert.deepEqual(gotA.map((e) => e.from), ["B"], "A never sees its own events");

  // An event published in the worker reaches the main-thread nodes.
  worker.postMessage({ publish: { kind: "closed", name: "public:app.w" } });
  await until(gotA, (e) => e.from === "D");
  await until(gotB, (e) => e.from === "D");
  assert.equal(gotA.filter((e) => e.from === "D").length, 1);
  worker.postMessage({ close: true });
  for (const bus of [a, b, c]) bus.close();
});

test("two buses of one node do not echo to each other", T, async () => {
  const channel = fresh();
  const page = new BroadcastBus(channel, { nodeId: "tab-1" });
  const lib = new BroadcastBus(channel, { nodeId: "tab-1" });
  const other = new BroadcastBus(channel, { nodeId: "tab-2" });
  const [gotPage, gotLib, gotOther] = [page, lib, other].map(recorder);
  await page.publish({ kind: "opened", n: 1 });
  await lib.publish({ kind: "opened", n: 2 });
  await other.publish({ kind: "end" });
  await until(gotPage, (e) => e.ev.kind === "end");
  await until(gotLib, (e) => e.ev.kind === "end");
  await until(gotOther, (e) => e.ev.n === 2);
  assert.deepEqual(gotPage.map((e) => e.from), ["tab-2"]);
  assert.deepEqual(gotLib.map((e) => e.from), ["tab-2"]);
  assert.deepEqual(gotOther.map((e) => e.ev.n), [1, 2], "separate sequence numbers do not shadow each other");
  for (const bus of [page, lib, other]) bus.close();
});

test("a replayed envelope is delivered once; malformed messages are counted, not delivered", T, async () => {
  const channel = fresh();
  const bus = new BroadcastBus(channel, { nodeId: "me" });
  const got = recorder(bus);
  const raw = new BroadcastChannel(channel);
  const env = { v: 1, from: "them", origin: "o1", seq: 1, ev: { kind: "opened" } };
  raw.postMessage(env);
  raw.postMessage(env);
  raw.postMessage({ hello: "not an envelope" });
  raw.postMessage({ ...env, seq: 2, ev: { kind: "end" } });
  await until(got, (e) => e.ev.kind === "end");
  assert.deepEqual(got.map((e) => e.ev.kind), ["opened", "end"]);
  assert.equal(bus.stats.dropped, 1);
  assert.equal(bus.stats.malformed, 1);
  raw.close();
  bus.close();
});

test("run() resolves on abort and on close; objects with toJSON travel as plain data", T, async () => {
  const channel = fresh();
  const a = new BroadcastBus(channel, { nodeId: "a" });
  const b = new BroadcastBus(channel, { nodeId: "b" });
  const ctl = new AbortController();
  const got = [];
  const running = b.run((ev) => got.push(ev), { signal: ctl.signal });
  class WasmEvent {
    toJSON() {
      return { kind: "opened", name: "public:x.y" };
    }
  }
  await a.publish(new WasmEvent());
  while (got.length === 0) await new Promise((r) => setTimeout(r, 2));
  assert.deepEqual(got, [{ kind: "opened", name: "public:x.y" }]);
  ctl.abort();
  await running;
  const second = b.run(() => {});
  b.close();
  await second;
  a.close();
  assert.throws(() => a.publish({}), { code: "CLOSED" });
  assert.throws(() => new BroadcastBus(""), TypeError);
});

test("attach() wires both halves of the manager's EventBus seam", T, async () => {
  const channel = fresh();
  // Two managers, as far as the seam is concerned: setBus (outbound) and applyRemote (inbound).
  const seam = () => ({
    bus: null,
    applied: [],
    setBus(bus) {
      this.bus = bus;
    },
    applyRemote(ev) {
      this.applied.push(ev);
    },
    emit(ev) {
      this.bus.publish(ev); // what the manager does with its local events
    },
  });
  const m1 = seam();
  const m2 = seam();
  const b1 = new BroadcastBus(channel, { nodeId: "n1" });
  const b2 = new BroadcastBus(channel, { nodeId: "n2" });
  const detach = b1.attach(m1);
  b2.attach(m2);
  assert.equal(m1.bus, b1);
  m1.emit({ kind: "opened", name: "public:app.a" });
  m2.emit({ kind: "deleted", name: "private:app.b" });
  while (m1.applied.length < 1 || m2.applied.length < 1) await new Promise((r) => setTimeout(r, 2));
  assert.deepEqual(m2.applied, [{ kind: "opened", name: "public:app.a" }]);
  assert.deepEqual(m1.applied, [{ kind: "deleted", name: "private:app.b" }]);
  detach();
  assert.throws(() => b1.attach({}), TypeError);
  b1.close();
  b2.close();
});

test("shareEvents: the wasm Manager's lifecycle events reach the other nodes once, never echo", T, async () => {
  const { Manager } = await import("./fanout-support/lindy.mjs");
  const { shareEvents } = await import("../src/fanout/broadcast-bus.js");
  const channel = fresh();
  const [b1, b2, b3] = ["n1", "n2", "n3"].map((nodeId) => new BroadcastBus(channel, { nodeId }));
  const [m1, m2, m3] = [new Manager(), new Manager(), new Manager()];
  const streams = [shareEvents(m1, b1), shareEvents(m2, b2), shareEvents(m3, b3)];
  const take = async (it, n) => {
    const out = [];
    while (out.length < n) out.push((await it.next()).value);
    return out.map(({ kind, name, origin, remote }) => [origin, remote, kind, name]);
  };
  m1.openPublic("public:app.orders");
  m2.createPrivate("private:app.chat.9");
  m1.delete("public:app.orders");
  m3.openPublic("public:app.end");
  const seen = await Promise.all(streams.map((it) => take(it, 4)));
  const sort = (xs) => [...xs].sort((a, b) => a.join().localeCompare(b.join()));
  const all = [
    ["n1", "opened", "public:app.orders"],
    ["n2", "opened", "private:app.chat.9"],
    ["n1", "deleted", "public:app.orders"],
    ["n3", "opened", "public:app.end"],
  ];
  for (const [i, node] of ["n1", "n2", "n3"].entries()) {
    const expected = all.map(([origin, kind, name]) => [origin, origin !== node, kind, name]);
    assert.deepEqual(sort(seen[i]), sort(expected), `${node} sees each event once, its own as local`);
  }
  // Nothing more is pending: the echo never comes back.
  m2.openPublic("public:app.last");
  const [next] = await take(streams[0], 1);
  assert.deepEqual(next, ["n2", true, "opened", "public:app.last"]);
  for (const it of streams) await it.return();
  assert.deepEqual(await streams[0].next(), { value: undefined, done: true });
  for (const b of [b1, b2, b3]) b.close();
});
