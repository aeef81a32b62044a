// The JS Space over the wasm engine: leases, put-back, bounds, the close rule, cancellation, and
// that a Space dropped with waits pending is collected (its wasm memory reused).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Space } from "lindy";
import { __memoryBytes } from "../dist/lindy.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
const tick = () => new Promise((r) => setTimeout(r, 0));

test("waiting takers are served in arrival order; a cancelled one takes nothing", async () => {
  const space = new Space();
  const ac = new AbortController();
  const first = space.take("k");
  const gone = space.take("k", { signal: ac.signal });
  const second = space.take("k", { timeoutMs: Infinity });
  ac.abort("stop");
  await assert.rejects(gone, (e) => e.code === "ABORTED" && e.cause === "stop" && /Space\.take\("k"\)/.test(e.message));
  space.push("k", 1);
  space.push("k", 2);
  assert.deepEqual([await first, await second], [1, 2]);
  // (Node's AbortSignal.timeout timer does not keep the process alive: a plain timer does.)
  await Promise.all([
    assert.rejects(space.take("k", { signal: AbortSignal.timeout(5) }), { code: "TIMEOUT" }),
    new Promise((r) => setTimeout(r, 50)),
  ]);
  await assert.rejects(space.take("k", { timeoutMs: 5 }), { code: "TIMEOUT" });
  assert.equal(space.len("k"), 0);
  // Unknown options are refused, not ignored (`timeout` would otherwise wait forever).
  await assert.rejects(space.take("k", { timeout: 10 }), { code: "INVALID_CONFIG" });
});

test("pushFront puts back at the head; peeks return the same object", async () => {
  const space = new Space();
  const job = { id: 1 };
  space.push("k", "b");
  space.pushFront("k", job);
  assert.equal(await space.peek("k"), job);
  assert.equal(space.tryPeek("k"), job);
  assert.deepEqual(space.takeMany("k", 5), [job, "b"]);
});

test("leases: ack removes, nack and expiry put back at the head with the delivery count", async () => {
  const space = new Space({ maxDeliveries: 3, deadLetterKey: "dlq" });
  space.pushMany("jobs", ["a", "b"]);
  const l1 = await space.takeLeased("jobs", { leaseMs: 1000 });
  assert.equal(l1.value, "a");
  assert.equal(l1.deliveries, 1);
  assert.equal(space.leased, 1);
  assert.equal(space.nack(l1.lease), "requeued");
  assert.throws(() => space.ack(l1.lease), { code: "LEASE_LOST" });
  const l2 = space.tryTakeLeased("jobs", { leaseMs: 20 });
  assert.deepEqual([l2.value, l2.deliveries], ["a", 2]);
  await new Promise((r) => setTimeout(r, 60)); // expires: back at the head
  assert.equal(space.leased, 0);
  const l3 = space.tryTakeLeased("jobs");
  assert.deepEqual([l3.value, l3.deliveries], ["a", 3]);
  assert.equal(space.nack(l3.lease), "dead-lettered");
  assert.equal(space.tryTake("dlq"), "a");
  const l4 = space.tryTakeLeased("jobs");
  assert.ok(space.extend(l4.lease, 5000) >= Date.now() + 4000);
  space.ack(l4.lease);
  assert.equal(space.size, 0);
  // A waiting leased take gets its lease with the entry.
  const waiting = space.takeLeased("more", { leaseMs: 500 });
  space.push("more", "m");
  const l5 = await waiting;
  assert.deepEqual([l5.value, l5.deliveries], ["m", 1]);
  space.ack(l5.lease);
  for (const bad of [0, -1, 0.5, NaN, Infinity, 1e300]) {
    await assert.rejects(space.takeLeased("jobs", { leaseMs: bad }), { code: "LEASE_INVALID" });
  }
  assert.throws(() => space.ack("x"), TypeError);
  assert.throws(() => space.ack(-1), { code: "LEASE_LOST" });
});

test("bounds: a full space refuses with BUFFER_FULL and hands the value back", () => {
  const space = new Space({ maxEntries: 3, maxKeyEntries: 2 });
  space.push("a", 1);
  space.push("a", 2);
  const v = { big: true };
  assert.throws(() => space.push("a", v), (e) => e.code === "BUFFER_FULL" && e.value === v);
  space.push("b", 3);
  assert.throws(() => space.pushMany("c", [4, 5]), (e) => e.code === "BUFFER_FULL");
  assert.throws(() => new Space({ maxEntries: 0 }), { code: "INVALID_CONFIG" });
  assert.throws(() => new Space({ maxEntries: NaN }), { code: "INVALID_CONFIG" });
  assert.throws(() => new Space({ capacity: 3 }), { code: "INVALID_CONFIG" });
});

test("close: outs refused, waiters end, takes drain then report CLOSED", async () => {
  const space = new Space();
  space.push("q", 1);
  const waiting = space.take("empty");
  const each = (async () => {
    const got = [];
    for await (const v of space.takeEach("stream")) got.push(v);
    return got;
  })();
  space.push("stream", "s1");
  await tick();
  space.close();
  await assert.rejects(waiting, { code: "CLOSED" });
  assert.deepEqual(await each, ["s1"]);
  assert.throws(() => space.push("q", 2), (e) => e.code === "CLOSED" && e.value === 2);
  assert.equal(await space.take("q"), 1);
  await assert.rejects(space.take("q"), { code: "CLOSED" });
});

test("keys are checked before they reach wasm memory, and messages name the call", () => {
  const space = new Space();
  const before = __memoryBytes();
  const huge = "k".repeat(100 * 1024 * 1024);
  assert.throws(() => space.push(huge, 1), (e) => e.code === "KEY_INVALID" && /Space\.push: key is 104857600 characters/.test(e.message));
  assert.equal(__memoryBytes(), before, "a 100 MB key grew wasm memory");
  assert.throws(() => space.pushMany("k", [1, undefined]), /values\[1\] must not be undefined/);
  assert.throws(() => space.push("k"), /Space\.push\("k", value\)/);
  // 4096 units of 3-byte characters: under the unit check, over the byte limit.
  assert.throws(() => space.push("€".repeat(4096), 1), { code: "KEY_INVALID" });
  space.push("€".repeat(1365), 1);
});

test("a Space dropped while take/takeEach wait is collected and its wasm memory reused", async () => {
  const collected = { n: 0 };
  const registry = new FinalizationRegistry(() => collected.n++);
  const round = () => {
    for (let i = 0; i < 20_000; i++) {
      const space = new Space();
      space.take("jobs").catch(() => {});
      const it = space.takeEach("events");
      it.next().catch(() => {});
      space.push("other", i);
      registry.register(space, i);
    }
  };
  round();
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  const afterOne = __memoryBytes();
  for (let r = 0; r < 4; r++) {
    round();
    for (let i = 0; i < 3; i++) {
      gc();
      await tick();
    }
  }
  const afterFive = __memoryBytes();
  console.log(`# 100 000 dropped spaces: ${collected.n} collected; wasm memory ${afterOne} B after 20 000, ${afterFive} B after 100 000`);
  assert.ok(collected.n >= 90_000, `only ${collected.n} of 100 000 dropped spaces were collected`);
  assert.ok(afterFive <= afterOne + 4 * 1024 * 1024, `wasm memory grew from ${afterOne} to ${afterFive} bytes`);
});
