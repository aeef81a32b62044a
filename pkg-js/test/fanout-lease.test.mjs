// Leased delivery: ack removes, everything else puts the entry back at the HEAD of its key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { pair, waitForEvent } from "./fanout-support/pair.mjs";
import { serve } from "../src/fanout/index.js";
import { Space } from "./fanout-support/lindy.mjs";

const T = { timeout: 20_000 };
const workerUrl = new URL("./fanout-support/worker.mjs", import.meta.url);

function drain(space, key) {
  const out = [];
  for (let v = space.tryTake(key); v !== undefined; v = space.tryTake(key)) out.push(v);
  return out;
}

test("ack removes the entry for good", T, async () => {
  const { space, remote, events, conn, done } = pair();
  space.push("jobs", "a");
  const lease = await remote.takeLeased("jobs", { leaseMs: 60_000 });
  assert.equal(lease.value, "a");
  assert.equal(lease.key, "jobs");
  assert.equal(conn.leased, 1);
  assert.equal(space.len("jobs"), 0, "a leased entry is out of the space");
  await lease.ack();
  assert.equal(conn.leased, 0);
  assert.deepEqual(
    events.filter((e) => e.type !== "connect").map((e) => [e.type, e.value]),
    [["lease", "a"], ["ack", "a"]],
  );
  await assert.rejects(lease.ack(), { code: "LEASE_LOST" }, "a second ack is refused");
  done();
});

test("nack puts the entry back at the head of its key", T, async () => {
  const { space, remote, done } = pair();
  for (const v of ["a", "b", "c"]) space.push("jobs", v);
  const lease = await remote.takeLeased("jobs");
  assert.equal(lease.value, "a");
  await lease.nack();
  assert.deepEqual(drain(space, "jobs"), ["a", "b", "c"]);
  done();
});

test("an expired lease returns to the head, the worker is told, and a late ack is refused", T, async () => {
  const { space, remote, events, done } = pair();
  for (const v of ["a", "b"]) space.push("jobs", v);
  const lease = await remote.takeLeased("jobs", { leaseMs: 20 });
  const lost = new Promise((r) => lease.signal.addEventListener("abort", r));
  await waitForEvent(events, (e) => e.type === "return" && e.reason === "expired");
  await lost;
  assert.equal(lease.signal.reason.code, "LEASE_LOST");
  await assert.rejects(lease.ack(), { code: "LEASE_LOST" });
  assert.deepEqual(drain(space, "jobs"), ["a", "b"]);
  done();
});

test("a lease's signal asked for only after the loss is already aborted, with the first reason", T, async () => {
  const { space, remote, events, done } = pair();
  space.push("jobs", "a");
  const lease = await remote.takeLeased("jobs", { leaseMs: 20 });
  await waitForEvent(events, (e) => e.type === "return" && e.reason === "expired");
  // The client hears of the expiry in the hub's next reply: wait for it without touching `signal`.
  while (remote.leased !== 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(lease.signal.aborted, true);
  assert.equal(lease.signal.reason.code, "LEASE_LOST");
  assert.match(lease.signal.reason.message, /expired/);
  remote.disconnect(); // a second loss keeps the first reason
  assert.match(lease.signal.reason.message, /expired/);
  done();
});

test("extend keeps the lease; ack then succeeds", T, async () => {
  const { space, remote, done } = pair();
  space.push("jobs", "a");
  const lease = await remote.takeLeased("jobs", { leaseMs: 60_000 });
  const deadline = await lease.extend(120_000);
  assert.ok(deadline > Date.now() + 60_000);
  await lease.ack();
  assert.equal(space.len("jobs"), 0);
  done();
});

test("disconnect returns every lease, oldest at the head", T, async () => {
  const { space, remote, conn, events } = pair();
  for (const v of [1, 2, 3, 4, 5]) space.push("jobs", v);
  const held = await Promise.all([remote.takeLeased("jobs"), remote.takeLeased("jobs"), remote.takeLeased("jobs")]);
  assert.deepEqual(held.map((l) => l.value), [1, 2, 3]);
  remote.disconnect();
  await waitForEvent(events, (e) => e.type === "disconnect");
  assert.equal(conn.closeReason, "client-disconnected");
  assert.deepEqual(drain(space, "jobs"), [1, 2, 3, 4, 5]);
});

test("a terminated worker's leases return to the head (port close)", T, async () => {
  const space = new Space();
  for (const v of ["j1", "j2", "j3", "j4"]) space.push("jobs", v);
  const events = [];
  const { port1, port2 } = new MessageChannel();
  serve(space, port1, { locks: null, onEvent: (e) => events.push(e) });
  const worker = new Worker(workerUrl);
  worker.postMessage({ port: port2, mode: "hold", count: 3 }, [port2]);
  const [msg] = await new Promise((r) => worker.once("message", (m) => r([m])));
  assert.deepEqual(msg.held, ["j1", "j2", "j3"]);
  assert.equal(space.len("jobs"), 1);
  await worker.terminate();
  const gone = await waitForEvent(events, (e) => e.type === "disconnect");
  assert.equal(gone.reason, "port-closed");
  assert.equal(gone.returned, 3);
  assert.deepEqual(drain(space, "jobs"), ["j1", "j2", "j3", "j4"]);
});

test("a silent client is declared dead when its heartbeat stops", T, async () => {
  const space = new Space();
  space.push("jobs", "x");
  const events = [];
  const { port1, port2 } = new MessageChannel();
  serve(space, port1, { locks: null, heartbeatTimeoutMs: 40, onEvent: (e) => events.push(e) });
  // A client frozen after leasing: no more messages, but its port stays open.
  port2.postMessage({ t: "hello", clientId: "frozen" });
  port2.postMessage({ t: "b", o: [[1, "lease", "jobs", {}]] });
  const gone = await waitForEvent(events, (e) => e.type === "disconnect");
  assert.equal(gone.reason, "heartbeat-lost");
  assert.equal(gone.clientId, "frozen");
  assert.deepEqual(drain(space, "jobs"), ["x"]);
  port2.close();
});

test("a lease that arrives after its wait was aborted is given back", T, async () => {
  const { space, remote, done } = pair();
  for (const v of ["a", "b"]) space.push("jobs", v);
  const ctl = new AbortController();
  const p = remote.takeLeased("jobs", { signal: ctl.signal });
  remote.flush();
  ctl.abort();
  await assert.rejects(p, { code: "ABORTED" });
  while (space.len("jobs") < 2) await remote.len("jobs");
  assert.deepEqual(drain(space, "jobs"), ["a", "b"]);
  done();
});

test("a lease returned after the space closed is queued for draining, not dropped", T, async () => {
  const { space, remote, done } = pair();
  space.push("jobs", "precious");
  const lease = await remote.takeLeased("jobs");
  space.close();
  await lease.nack(); // the one close rule: leases still settle; a returned entry can be drained
  assert.equal(space.tryTake("jobs"), "precious");
  done();
});

test("4 workers, one killed mid-run: every job is acked exactly once", T, async () => {
  const space = new Space();
  const N = 400;
  for (let i = 0; i < N; i++) space.push("jobs", i);
  const acked = new Map();
  const returned = [];
  const workers = [];
  for (let w = 0; w < 4; w++) {
    const { port1, port2 } = new MessageChannel();
    serve(space, port1, {
      locks: null,
      onEvent: (e) => {
        if (e.type === "ack") acked.set(e.value, (acked.get(e.value) ?? 0) + 1);
        if (e.type === "return") returned.push(e.value);
      },
    });
    const worker = new Worker(workerUrl);
    worker.postMessage({ port: port2, mode: "work", window: 4 }, [port2]);
    workers.push(worker);
  }
  // Kill worker 0 while it holds leases.
  while (acked.size < N / 4) await new Promise((r) => setTimeout(r, 1));
  await workers[0].terminate();
  while (acked.size < N) await new Promise((r) => setTimeout(r, 2));
  for (const w of workers.slice(1)) await w.terminate();
  assert.equal(acked.size, N, "every job was completed");
  for (const [job, count] of acked) assert.equal(count, 1, `job ${job} acked once`);
  assert.equal(space.len("jobs"), 0);
  // The killed worker held up to 4 leases; whatever it held came back and was done by others.
  for (const v of returned) assert.equal(acked.get(v), 1);
});

test("leases are per connection: another client cannot ack them, and a disconnect rejects local ones", T, async () => {
  const space = new Space();
  space.push("jobs", "a");
  const one = pair({ space });
  const two = pair({ space });
  const lease = await one.remote.takeLeased("jobs");
  // Lease ids are per connection: the other client's ack of the same number is refused.
  await assert.rejects(two.remote._call(10 /* ACK */, null, lease.id), { code: "LEASE_LOST" });
  const lost = new Promise((r) => lease.signal.addEventListener("abort", r));
  one.remote.disconnect();
  await lost;
  assert.equal(lease.signal.reason.code, "LEASE_LOST");
  await waitForEvent(one.events, (e) => e.type === "disconnect");
  assert.equal(space.tryTake("jobs"), "a");
  two.done();
});

test("takeLeased validates leaseMs; the hub refuses out-of-range leases", T, async () => {
  const { remote, space, done } = pair();
  assert.throws(() => remote.takeLeased("jobs", { leaseMs: 0 }), { code: "LEASE_INVALID" });
  assert.throws(() => remote.takeLeased("jobs", { leaseMs: -5 }), RangeError);
  space.push("jobs", "x");
  await assert.rejects(remote.takeLeased("jobs", { leaseMs: 10 ** 12 }), { code: "LEASE_INVALID" });
  assert.equal(space.len("jobs"), 1, "a refused lease took nothing");
  done();
});
