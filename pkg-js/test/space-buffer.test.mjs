// The push buffer of `Space` (src/space.js) against the engine alone: the same random sequences
// of operations run on a `Space` that buffers and on one that cannot (a per-key bound turns the
// buffer off, so every call goes to the engine), and every answer — values, errors, waiter
// outcomes and their order, lengths, keys, leases — must be the same.
import assert from "node:assert/strict";
import test from "node:test";

import { Space } from "../node.js";

/** A small seeded PRNG (mulberry32): a failing seed replays exactly. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["public:app.jobs.a", "public:app.jobs.b", "public:app.other"];
const PATTERN = "public:app.jobs.*";

/** What an operation answered: a value, or the code of what it threw. */
function outcome(f) {
  try {
    const v = f();
    return { v };
  } catch (e) {
    return { code: e.code ?? String(e) };
  }
}

/**
 * Runs `steps` random operations on `space`, logging every answer (and, for waiting calls, the
 * order in which they settle) into `log`.
 */
async function run(space, seed, steps, log) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const leases = [];
  let next = 0;
  const waits = [];
  for (let i = 0; i < steps; i++) {
    const key = pick(KEYS);
    const op = Math.floor(r() * 100);
    if (op < 30) log.push(["push", key, outcome(() => space.push(key, next++))]);
    else if (op < 34) log.push(["tryPush", key, outcome(() => space.tryPush(key, next++))]);
    else if (op < 37) log.push(["pushFront", key, outcome(() => space.pushFront(key, next++))]);
    else if (op < 42) {
      const n = Math.floor(r() * 5);
      const vs = Array.from({ length: n }, () => next++);
      log.push(["pushMany", key, outcome(() => space.pushMany(key, vs))]);
    } else if (op < 62) log.push(["tryTake", key, outcome(() => space.tryTake(key))]);
    else if (op < 67) log.push(["takeMany", key, outcome(() => space.takeMany(key, Math.floor(r() * 4)))]);
    else if (op < 72) {
      // A take that may wait: its settlement is logged when it happens, in order.
      const id = waits.length;
      const ac = new AbortController();
      const how = r();
      // A plain take (no options) may wait on the JS side; one with a signal waits in the engine.
      const p = (how < 0.4 ? space.take(key) : how < 0.7 ? space.take(key, { signal: ac.signal }) : space.peek(key, { signal: ac.signal })).then(
        (v) => log.push(["settled", id, { v }]),
        (e) => log.push(["settled", id, { code: e.code }]),
      );
      waits.push({ p, ac });
      log.push(["wait", id, key]);
    } else if (op < 74) {
      const id = waits.length;
      const p = space.takeMatching(PATTERN).then(
        (v) => log.push(["settled", id, { v }]),
        (e) => log.push(["settled", id, { code: e.code }]),
      );
      waits.push({ p, ac: null });
      log.push(["waitMatching", id]);
    } else if (op < 76) {
      const w = pick(waits);
      if (w?.ac) w.ac.abort("stop");
      log.push(["abort"]);
    } else if (op < 79) log.push(["tryPeek", key, outcome(() => space.tryPeek(key))]);
    else if (op < 81) log.push(["tryTakeMatching", outcome(() => space.tryTakeMatching(PATTERN))]);
    else if (op < 84) {
      const got = outcome(() => space.tryTakeLeased(key, { leaseMs: 60_000 }));
      if (got.v) leases.push(got.v.lease);
      log.push(["tryTakeLeased", key, got.v ? { v: got.v.value, d: got.v.deliveries } : got]);
    } else if (op < 87) {
      const l = leases.splice(Math.floor(r() * leases.length), 1)[0];
      if (l !== undefined) log.push(["settle", outcome(() => (r() < 0.5 ? space.ack(l) : space.nack(l)))]);
    } else if (op < 90) log.push(["len", key, space.len(key)]);
    else if (op < 92) log.push(["size", space.size, space.leased, space.keys()]);
    else if (op < 93 && r() < 0.3) log.push(["close", outcome(() => space.close())]);
    else await Promise.resolve(); // let settled promises run their logging
  }
  for (const w of waits) w.ac?.abort("end");
  // Plain takes still waiting end with the close.
  space.close();
  await Promise.all(waits.map((w) => w.p));
  // Whatever is left, drained key by key.
  log.push(["rest", KEYS.map((k) => space.takeMany(k, 1_000_000))]);
}

test("the push buffer answers exactly as the engine alone (random sequences, 300 seeds)", async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const bounded = seed % 3 === 0 ? { maxEntries: 8 } : {};
    const buffered = [];
    const direct = [];
    await run(new Space(bounded), seed, 400, buffered);
    // maxKeyEntries turns the buffer off: every call goes to the engine.
    await run(new Space({ ...bounded, maxKeyEntries: 4_294_967_295 }), seed, 400, direct);
    assert.deepEqual(buffered, direct, `seed ${seed}`);
  }
});

test("a long run on one key keeps the buffer's memory bounded (compaction)", () => {
  const space = new Space();
  // A standing backlog of 10 with a push and a take per step: the buffer never empties.
  for (let i = 0; i < 10; i++) space.push("k", i);
  for (let i = 10; i < 200_000; i++) {
    space.push("k", i);
    assert.equal(space.tryTake("k"), i - 10);
  }
  assert.equal(space.len("k"), 10);
  assert.deepEqual(space.takeMany("k", 100), Array.from({ length: 10 }, (_, j) => 199_990 + j));
});

test("buffered pushes count against maxEntries like any other", () => {
  const space = new Space({ maxEntries: 3 });
  space.push("a", 1);
  space.push("a", 2);
  space.pushMany("a", [3]);
  assert.throws(() => space.push("a", 4), (e) => e.code === "BUFFER_FULL" && e.value === 4);
  assert.equal(space.tryPush("a", 4), false);
  assert.throws(() => space.pushMany("b", [5]), (e) => e.code === "BUFFER_FULL");
  assert.equal(space.tryTake("a"), 1);
  assert.equal(space.tryPush("b", 5), true);
  assert.equal(space.size, 3);
  assert.deepEqual(space.keys(), ["a", "b"]);
});

test("the old names still work (deprecated aliases of push, pushFront, pushMany, peek, tryPeek)", async () => {
  const space = new Space();
  space.out("k", 1);
  space.outMany("k", [2, 3]);
  space.outFront("k", 0);
  assert.equal(space.tryRead("k"), 0);
  assert.equal(await space.read("k"), 0);
  const key = space.key("k");
  key.out(4);
  key.outFront(-1);
  assert.equal(key.tryRead(), -1);
  assert.equal(await key.read(), -1);
  assert.deepEqual(space.takeMany("k", 10), [-1, 0, 1, 2, 3, 4]);
});

test("a nacked or expired lease goes back ahead of buffered pushes", async () => {
  const space = new Space();
  space.push("k", "old");
  const { lease } = space.tryTakeLeased("k", { leaseMs: 60_000 });
  space.push("k", "new1");
  assert.equal(space.tryTake("k"), "new1"); // the engine holds nothing queued under "k" now
  space.push("k", "new2");
  assert.equal(space.nack(lease), "requeued");
  assert.equal(space.tryTake("k"), "old");
  assert.equal(space.tryTake("k"), "new2");

  space.push("k", "old");
  space.tryTakeLeased("k", { leaseMs: 20 });
  space.push("k", "new1");
  assert.equal(space.tryTake("k"), "new1");
  space.push("k", "new2");
  await new Promise((r) => setTimeout(r, 60)); // the lease expires: "old" is back at the head
  assert.deepEqual(space.takeMany("k", 5), ["old", "new2"]);
});

test("takes waiting on the JS side: cancelled ones take nothing, the rest are served in order", async () => {
  const space = new Space();
  assert.equal(space.tryTake("k"), undefined); // the engine says "k" is empty: takes wait on the JS side
  // Many cancelled takes (they are dropped in bulk), with live ones among them.
  const live = [];
  for (let i = 0; i < 10_000; i++) {
    const ac = new AbortController();
    const p = space.take("k", { signal: ac.signal });
    if (i % 1000 === 0) live.push(p);
    else {
      ac.abort("stop");
      await assert.rejects(p, { code: "ABORTED" });
    }
  }
  const timedOut = space.take("k", { timeoutMs: 5 });
  await assert.rejects(timedOut, { code: "TIMEOUT" });
  // A push to another key leaves them waiting; pushes to "k" serve them oldest first.
  space.push("other", "o");
  for (let i = 0; i < live.length; i++) space.push("k", i);
  assert.deepEqual(await Promise.all(live), Array.from({ length: live.length }, (_, i) => i));
  space.push("k", "rest");
  assert.deepEqual([space.tryTake("other"), space.tryTake("k"), space.len("k")], ["o", "rest", 0]);

  // Moved into the engine by a flush (a peek flushes), then cancelled: nothing taken.
  const ac = new AbortController();
  const moved = space.take("k", { signal: ac.signal });
  const after = space.take("k");
  await assert.rejects(space.peek("k", { timeoutMs: 1 }), { code: "TIMEOUT" });
  ac.abort("stop");
  await assert.rejects(moved, { code: "ABORTED" });
  space.push("k", "x");
  assert.equal(await after, "x");
});
