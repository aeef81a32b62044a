// The fan-out client's in-place batch machinery: the call table (reused records, round-tagged
// ids), the reusable row frame, and what a client does with an answer whose id is stale.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CallTable, MAX_CALLS } from "../src/fanout/calls.js";
import { Frame, RES_WIDTH, St } from "../src/fanout/protocol.js";
import { connect } from "../src/fanout/client.js";
import { pair } from "./fanout-support/pair.mjs";

// A small seeded generator (mulberry32) so a failure replays.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("the call table agrees with a Map model over random open/close sequences", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const next = rng(seed);
    const table = new CallTable();
    const live = new Map(); // id -> record, the model
    const everIssued = new Set();
    const ended = [];
    for (let step = 0; step < 2000; step++) {
      if (live.size === 0 || next() < 0.55) {
        const call = table.open();
        assert.ok(call, "a record while far below MAX_CALLS");
        assert.ok(Number.isSafeInteger(call.id) && call.id > 0, `id ${call.id} is a positive safe integer`);
        assert.ok(!everIssued.has(call.id), `seed ${seed}: id ${call.id} issued twice`);
        everIssued.add(call.id);
        live.set(call.id, call);
      } else {
        const ids = [...live.keys()];
        const id = ids[Math.floor(next() * ids.length)];
        const call = live.get(id);
        table.close(call);
        live.delete(id);
        ended.push(id);
        assert.equal(call.id, 0, "a closed record is marked free");
        assert.equal(call.resolve, undefined, "and retains nothing");
      }
      assert.equal(table.size, live.size);
      // Every live id finds its record; recently ended ids (whose slots are reused) find nothing.
      for (const [id, call] of live) assert.equal(table.get(id), call);
      for (const id of ended.slice(-20)) assert.equal(table.get(id), undefined, `seed ${seed}: stale id ${id} found a call`);
    }
    assert.equal(table.get(0), undefined, "id 0 (no answer wanted) is never a call");
    assert.deepEqual(new Set(table.live().map((c) => c.id)), new Set(live.keys()));
  }
  assert.equal(MAX_CALLS, 2 ** 24);
});

test("a frame grows past its first capacity, keeps its rows, and is reused after clear()", () => {
  const frame = new Frame(RES_WIDTH, 2);
  for (let r = 0; r < 100; r++) {
    const at = frame.row();
    for (let c = 0; c < RES_WIDTH; c++) frame.cells[at + c] = r * 10 + c;
  }
  assert.equal(frame.length, 100);
  const packed = frame.packed();
  assert.equal(packed.length, 100 * RES_WIDTH);
  assert.notEqual(packed.buffer, frame.cells.buffer, "packed() owns its buffer (it is transferred)");
  for (let r = 0; r < 100; r++) assert.deepEqual([...frame.rowCopy(r)], [0, 1, 2, 3].map((c) => r * 10 + c));
  const cells = frame.cells;
  frame.clear();
  assert.equal(frame.length, 0);
  frame.row();
  assert.equal(frame.cells, cells, "no new allocation after clear()");
  assert.equal(frame.packed().length, RES_WIDTH);
});

test("an answer with a stale id does not settle the call that reuses its slot", async () => {
  const { port1, port2 } = new MessageChannel();
  const sent = [];
  port1.onmessage = ({ data }) => {
    if (data?.t === "b") sent.push(data);
  };
  const remote = connect(port2, { locks: null, heartbeatMs: 0 });
  const nextBatch = async () => {
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 1));
    return sent.shift();
  };
  const answer = (id, value) => port1.postMessage({ t: "r", h: Float64Array.of(id, St.VALUE, 0, 0), v: [value] });

  try {
    await staleAnswerIsIgnored(remote, nextBatch, answer);
  } finally {
    remote.disconnect();
    port1.close();
  }
});

async function staleAnswerIsIgnored(remote, nextBatch, answer) {
  const first = remote.tryTake("k");
  const idA = (await nextBatch()).h[0];
  answer(idA, "a");
  assert.equal(await first, "a");

  // The next call reuses the freed record (same slot) under a new id.
  const second = remote.tryTake("k");
  const idB = (await nextBatch()).h[0];
  assert.notEqual(idB, idA);
  let settled = false;
  second.then(() => (settled = true));
  answer(idA, "stale"); // a duplicate of the first answer
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "the stale answer was ignored");
  answer(idB, "b");
  assert.equal(await second, "b");
}

test("batches of every size keep their order and payloads across frame reuse", async () => {
  const { space, remote, done } = pair();
  let n = 0;
  for (const size of [1, 63, 64, 65, 500, 3, 2000, 1]) {
    const pushes = [];
    for (let i = 0; i < size; i++) pushes.push(remote.push("seq", { n: n++ }));
    await Promise.all(pushes);
  }
  assert.equal(space.len("seq"), n);
  const takes = [];
  for (let i = 0; i < n; i++) takes.push(remote.take("seq"));
  const got = await Promise.all(takes);
  assert.deepEqual(
    got.map((v) => v.n),
    [...Array(n).keys()],
  );
  done();
});

test("after a reply that had to go one by one (an uncloneable value), the next replies are intact", async () => {
  const { space, remote, done } = pair();
  space.push("mixed", "a");
  space.push("mixed", () => "not cloneable");
  space.push("mixed", "c");
  const first = await Promise.allSettled([remote.tryTake("mixed"), remote.tryTake("mixed"), remote.tryTake("mixed")]);
  assert.deepEqual(
    first.map((r) => r.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  assert.equal(first[0].value, "a");
  assert.equal(first[1].reason.code, "NOT_CLONEABLE");
  assert.equal(first[2].value, "c");
  assert.equal(space.len("mixed"), 1, "the uncloneable entry was put back");
  // The next batches reuse the hub's reply buffers: nothing of the failed reply leaks into them.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 100; i++) space.push("next", round * 100 + i);
    const got = await Promise.all(Array.from({ length: 100 }, () => remote.take("next")));
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => round * 100 + i));
  }
  done();
});
