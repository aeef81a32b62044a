// The remote Space over a MessageChannel: the same API as the local one, as Promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pair } from "./fanout-support/pair.mjs";
import { connect, serve } from "../src/fanout/index.js";

test("every Space operation works remotely", async () => {
  const { space, remote, done } = pair();
  await remote.push("jobs", { n: 1 });
  await remote.push("jobs", { n: 2 });
  assert.equal(await remote.len("jobs"), 2);
  assert.deepEqual(await remote.tryPeek("jobs"), { n: 1 });
  assert.deepEqual(await remote.peek("jobs"), { n: 1 });
  assert.deepEqual(await remote.take("jobs"), { n: 1 });
  assert.deepEqual(await remote.tryTake("jobs"), { n: 2 });
  assert.equal(await remote.tryTake("jobs"), undefined);
  assert.equal(await remote.tryPeek("jobs"), undefined);
  assert.equal(space.len("jobs"), 0);

  // A take that waits is served when a value arrives on the hub's side.
  const waiting = remote.take("later");
  space.push("later", "here");
  assert.equal(await waiting, "here");
  done();
});

test("takeMatching and takeEach", async () => {
  const { space, remote, done } = pair();
  space.push("public:app.orders.7", "order-7");
  const hit = await remote.takeMatching("public:app.orders.*");
  assert.deepEqual(hit, { key: "public:app.orders.7", value: "order-7" });

  for (const i of [1, 2, 3]) space.push("each", i);
  const seen = [];
  for await (const v of remote.takeEach("each")) {
    seen.push(v);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, [1, 2, 3]);
  done();
});

test("operations issued in one task travel as one message", async () => {
  const { space, remote, posts, conn, done } = pair();
  const before = posts.n;
  const outs = [];
  for (let i = 0; i < 100; i++) outs.push(remote.push("batch", i));
  const lens = [remote.len("batch"), remote.tryPeek("batch")];
  await Promise.all([...outs, ...lens]);
  assert.equal(posts.n - before, 1, "100 outs + 2 reads were sent as exactly one message");
  assert.equal(space.len("batch"), 100);
  // Results come back batched too: one message for the whole burst.
  const takes = [];
  for (let i = 0; i < 100; i++) takes.push(remote.take("batch"));
  const inBefore = remote.stats.messagesIn;
  const got = await Promise.all(takes);
  assert.deepEqual(got, [...Array(100).keys()]);
  assert.equal(remote.stats.messagesIn - inBefore, 1, "100 take results arrived in one message");
  assert.ok(conn.stats.ops >= 202);
  done();
});

test("ArrayBuffers are transferred when the caller opts in, copied otherwise", async () => {
  const { space, remote, done } = pair();
  const moved = new Uint8Array([1, 2, 3]);
  await remote.push("bytes", moved, { transfer: true });
  assert.equal(moved.byteLength, 0, "transferred: the sender's view is detached");
  const copied = new Uint8Array([4, 5]);
  await remote.push("bytes", copied);
  assert.equal(copied.byteLength, 2, "not transferred without opting in");
  const buf = new ArrayBuffer(8);
  await remote.push("bytes", { payload: buf }, { transfer: [buf] });
  assert.equal(buf.byteLength, 0, "an explicit transfer list works too");

  assert.deepEqual([...space.tryTake("bytes")], [1, 2, 3]);
  // The hub moves taken buffers to the worker when asked: its copy is detached, nothing is copied.
  const stored = new Uint8Array([9, 9, 9, 9]);
  space.push("bytes2", stored);
  const got = await remote.take("bytes2", { transfer: true });
  assert.deepEqual([...got], [9, 9, 9, 9]);
  assert.equal(stored.byteLength, 0, "the hub's copy was transferred, not cloned");
  done();
});

test("an AbortSignal cancels the wait on the hub: nothing is taken", async () => {
  const { space, remote, done } = pair();
  const ctl = new AbortController();
  const waiting = remote.take("never", { signal: ctl.signal });
  await new Promise((r) => setTimeout(r, 10));
  ctl.abort();
  await assert.rejects(waiting, (e) => e.code === "ABORTED" && e.name === "LindyError");
  // The hub's take was cancelled: a value put now stays in the space.
  await new Promise((r) => setTimeout(r, 10));
  space.push("never", "kept");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(space.len("never"), 1);
  assert.equal(space.tryTake("never"), "kept");

  // Already-aborted signals reject without a round trip.
  await assert.rejects(remote.take("k", { signal: AbortSignal.abort() }), { code: "ABORTED" });
  done();
});

test("an abort that loses the race puts the entry back at the head of its key", async () => {
  const { space, remote, done } = pair();
  space.push("race", "first");
  space.push("race", "second");
  const ctl = new AbortController();
  const p = remote.take("race", { signal: ctl.signal });
  remote.flush(); // the take is on its way and the hub will serve it at once...
  ctl.abort(); // ...but the caller gives up before the answer is back
  await assert.rejects(p, { code: "ABORTED" });
  // The answer arrives for an abandoned call: the client hands "first" back to the head.
  while (space.len("race") < 2) await remote.len("race");
  assert.equal(space.tryTake("race"), "first");
  assert.equal(space.tryTake("race"), "second");
  done();
});

test("timeoutMs cancels the wait with TIMEOUT", async () => {
  const { space, remote, done } = pair();
  await assert.rejects(remote.take("t", { timeoutMs: 5 }), { code: "TIMEOUT" });
  space.push("t", 1);
  assert.equal(space.len("t"), 1, "the timed-out take took nothing");
  done();
});

test("errors keep their code and handed-back value; bad input fails in the caller", async () => {
  const { space, remote, done } = pair();
  assert.throws(() => remote.push(42, "x"), TypeError);
  assert.throws(() => remote.take(null), TypeError);
  assert.throws(() => remote.take("k", { timeoutMs: -1 }), RangeError);
  assert.throws(() => remote.takeLeased("k", { leaseMs: Number.NaN }), RangeError);
  await assert.rejects(remote.push("k", undefined), TypeError);
  space.close();
  await assert.rejects(remote.push("k", "mine"), (e) => e.code === "CLOSED" && e.value === "mine");
  await assert.rejects(remote.take("k"), { code: "CLOSED" });
  done();
});

test("a value that cannot be cloned fails alone, the rest of the batch goes through", async () => {
  const { space, remote, done } = pair();
  const [ok1, bad, ok2] = await Promise.allSettled([remote.push("c", 1), remote.push("c", () => {}), remote.push("c", 2)]);
  assert.equal(ok1.status, "fulfilled");
  assert.equal(ok2.status, "fulfilled");
  assert.equal(bad.reason.code, "NOT_CLONEABLE");
  assert.equal(space.len("c"), 2);

  // The hub side: an uncloneable entry is put back, not lost.
  space.push("fn", () => 1);
  await assert.rejects(remote.take("fn"), { code: "NOT_CLONEABLE" });
  assert.equal(space.len("fn"), 1);
  done();
});

test("disconnect rejects pending calls with CLOSED and the space stays usable", async () => {
  const { space, remote, conn } = pair();
  const waiting = remote.take("x");
  await new Promise((r) => setTimeout(r, 5));
  remote.disconnect();
  await assert.rejects(waiting, { code: "CLOSED" });
  await assert.rejects(remote.len("x"), { code: "CLOSED" });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(conn.open, false);
  space.push("x", "still here");
  assert.equal(space.len("x"), 1, "the cancelled take took nothing");
});

test("serve and connect validate their arguments", () => {
  assert.throws(() => serve({}, new MessageChannel().port1), TypeError);
  assert.throws(() => connect({}), TypeError);
});

test("the hub closing the connection rejects the client's pending calls with CLOSED", async () => {
  const { remote, conn } = pair();
  const waiting = remote.take("nothing");
  await new Promise((r) => setTimeout(r, 5));
  conn.close("maintenance");
  await assert.rejects(waiting, (e) => e.code === "CLOSED" && /maintenance/.test(e.message));
  await assert.rejects(remote.len("x"), { code: "CLOSED" });
});

test("read waits without taking; several readers see the same head", async () => {
  const { space, remote, done } = pair();
  const r1 = remote.peek("k");
  const r2 = remote.peek("k");
  await new Promise((r) => setTimeout(r, 5));
  space.push("k", "head");
  assert.deepEqual(await Promise.all([r1, r2]), ["head", "head"]);
  assert.equal(space.len("k"), 1);
  done();
});

test("an idle client pings so the hub keeps it alive", { timeout: 10_000 }, async () => {
  const { remote, conn, done } = pair({ hub: { heartbeatTimeoutMs: 60 }, client: { heartbeatMs: 15 } });
  // Several timeouts' worth of silence from the application: the pings keep the connection.
  const before = conn.stats.messagesIn;
  while (conn.stats.messagesIn < before + 10) await new Promise((r) => setTimeout(r, 10));
  assert.equal(conn.open, true);
  assert.equal(await remote.len("k"), 0);
  done();
});

test("the batch calls: pushMany, takeMany, tryTakeMatching, size, keys", async () => {
  const { space, remote, done } = pair();
  await remote.pushMany("jobs", [1, 2, 3, 4]);
  assert.equal(space.len("jobs"), 4);
  assert.deepEqual(await remote.takeMany("jobs", 3), [1, 2, 3]);
  assert.deepEqual(await remote.takeMany("jobs", 10), [4]);
  assert.deepEqual(await remote.takeMany("jobs", 10), []);
  space.push("public:app.orders.1", "o1");
  space.push("b", 1);
  assert.equal(await remote.size(), 2);
  assert.equal(await remote.isClosed(), false);
  assert.deepEqual(await remote.keys(), ["b", "public:app.orders.1"]);
  assert.deepEqual(await remote.tryTakeMatching("public:app.orders.*"), { key: "public:app.orders.1", value: "o1" });
  assert.equal(await remote.tryTakeMatching("public:app.orders.*"), undefined);
  assert.throws(() => remote.takeMany("jobs", -1), RangeError);
  assert.throws(() => remote.pushMany("jobs", "nope"), TypeError);
  const bufs = [new Uint8Array([1]), new Uint8Array([2])];
  await remote.pushMany("bytes", bufs, { transfer: true });
  assert.deepEqual(bufs.map((b) => b.byteLength), [0, 0], "every element's buffer was transferred");
  done();
});

test("the old names still work on the remote side (deprecated aliases of push, pushMany, peek, tryPeek)", async () => {
  const { remote, done } = pair();
  await remote.out("k", 1);
  await remote.outMany("k", [2, 3]);
  assert.equal(await remote.tryRead("k"), 1);
  assert.equal(await remote.read("k"), 1);
  assert.deepEqual(await remote.takeMany("k", 10), [1, 2, 3]);
  done();
});
