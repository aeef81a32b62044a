// The conformance kit (lindy::testkit, src/testkit/cases.rs), ported case by case to the JS
// fan-out hub: a Space served over a real MessageChannel, driven from the client side
// (RemoteSpace) as a worker would. Same case names, same capabilities, same report line:
// `kit[js-hub]: N passed, 0 failed, M not applicable`. JS has no "drop a future": a dropped wait
// is an aborted one (AbortSignal), the JS way to cancel.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../src/fanout/hub.js";
import { connect } from "../src/fanout/client.js";
import { Op } from "../src/fanout/protocol.js";
import { Space } from "./fanout-support/lindy.mjs";

const CAPS = { waits: true, push_front: false, pattern_take: true, leases: true, dead_letter: true, bounds: true, back_pressure: false, durable: false };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PATIENCE_MS = 2000;

/** A fresh hub + client pair over a Space with `options` (the kit's Options). */
function open(options = {}) {
  const spaceOpts = {};
  if (options.maxEntries !== undefined) spaceOpts.maxEntries = options.maxEntries;
  if (options.keyMaxEntries !== undefined) spaceOpts.maxKeyEntries = options.keyMaxEntries;
  if (options.maxDeliveries !== undefined) spaceOpts.maxDeliveries = options.maxDeliveries;
  if (options.deadLetterKey !== undefined) spaceOpts.deadLetterKey = options.deadLetterKey;
  const space = new Space(spaceOpts); // INVALID_CONFIG for a bound of 0
  const { port1, port2 } = new MessageChannel();
  const conn = serve(space, port1, { locks: null, heartbeatTimeoutMs: 0 });
  const remote = connect(port2, { locks: null, heartbeatMs: 0 });
  const leases = new Map();
  const q = {
    push: (k, v) => remote.push(k, v),
    async tryTake(k) {
      const v = await remote.tryTake(k);
      // The JS Space says "nothing there" with undefined; closed-and-drained is CLOSED.
      if (v === undefined && (await remote.isClosed())) throw Object.assign(new Error("closed"), { code: "CLOSED" });
      return v;
    },
    len: (k) => remote.len(k),
    close: () => remote.close(),
    take: (k, signal) => remote.take(k, signal ? { signal } : {}),
    tryTakeMatching: (p) => remote.tryTakeMatching(p),
    async tryTakeLeased(k, leaseMs) {
      try {
        const l = await remote.takeLeased(k, { leaseMs, timeoutMs: 0 });
        leases.set(l.id, l);
        return { id: l.id, value: l.value, deliveries: l.deliveries ?? null };
      } catch (e) {
        if (e.code === "TIMEOUT") return undefined;
        throw e;
      }
    },
    ack: (id) => (leases.get(id)?.ack() ?? remote._call(Op.ACK, null, id)),
    nack: (id) => (leases.get(id)?.nack() ?? remote._call(Op.NACK, null, id)),
    extend: (id, ms) => leases.get(id).extend(ms),
    advance: (ms) => sleep(ms + 30),
    done() {
      remote.disconnect();
      conn.close();
    },
  };
  return q;
}

const code = async (p) => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e?.code ?? String(e);
  }
};
const within = (p, ms = PATIENCE_MS) => Promise.race([p, sleep(ms).then(() => "still waiting")]);
async function expectTake(q, k, want) {
  const got = await q.tryTake(k);
  assert.equal(got, want, `take(${k})`);
}

const CASES = {
  fifo_per_key: [{}, async (q) => {
    await expectTake(q, "k", undefined);
    for (const s of ["a", "b", "c"]) await q.push("k", s);
    await q.push("other", "x");
    assert.equal(await q.len("k"), 3);
    for (const s of ["a", "b", "c"]) await expectTake(q, "k", s);
    await expectTake(q, "k", undefined);
    await expectTake(q, "other", "x");
  }],
  close_refuses_push_with_the_value: [{}, async (q) => {
    await q.close();
    await q.close();
    await assert.rejects(q.push("k", "v"), (e) => e.code === "CLOSED" && e.value === "v");
  }],
  close_drains_then_reports_closed: [{}, async (q) => {
    await q.push("k", "a");
    await q.push("k", "b");
    await q.close();
    await expectTake(q, "k", "a");
    await expectTake(q, "k", "b");
    assert.equal(await code(q.tryTake("k")), "CLOSED");
  }],
  push_front_is_taken_next: [{ push_front: true }],
  pattern_take_oldest_head_first: [{ pattern_take: true }, async (q) => {
    await q.push("public:app.jobs.b", "1");
    await q.push("public:app.other.x", "2");
    await q.push("public:app.jobs.a", "3");
    await q.push("public:app.jobs.b", "4");
    const got = [];
    for (let hit; (hit = await q.tryTakeMatching("public:app.jobs.*")) !== undefined; ) got.push(`${hit.key}=${hit.value}`);
    assert.deepEqual(got, ["public:app.jobs.b=1", "public:app.jobs.a=3", "public:app.jobs.b=4"]);
    assert.deepEqual(await q.tryTakeMatching("public:app.**"), { key: "public:app.other.x", value: "2" });
  }],
  pattern_take_skips_keys_that_are_not_names: [{ pattern_take: true }, async (q) => {
    await q.push("not a channel name", "x");
    assert.equal(await q.tryTakeMatching("public:**"), undefined);
    await expectTake(q, "not a channel name", "x");
  }],
  waiting_take_gets_a_later_push: [{ waits: true }, async (q) => {
    const t = q.take("k");
    assert.equal(await within(t, 50), "still waiting");
    await q.push("k", "a");
    assert.equal(await within(t), "a");
  }],
  waiting_take_drains_a_closed_queue: [{ waits: true }, async (q) => {
    await q.push("k", "a");
    await q.close();
    assert.equal(await within(q.take("k")), "a");
    assert.equal(await code(within(q.take("k"))), "CLOSED");
  }],
  dropped_waiting_take_takes_nothing: [{ waits: true }, async (q) => {
    const ac = new AbortController();
    const t = q.take("k", ac.signal);
    assert.equal(await within(t, 50), "still waiting");
    ac.abort();
    assert.equal(await code(t), "ABORTED");
    await q.push("k", "a");
    await expectTake(q, "k", "a");
  }],
  dropped_woken_take_hands_on: [{ waits: true }, async (q) => {
    const ac = new AbortController();
    const first = q.take("k", ac.signal);
    const second = q.take("k");
    assert.equal(await within(first, 50), "still waiting");
    const out = q.push("k", "a");
    ac.abort(); // the first, chosen by the out, gives up before it sees the entry
    await out;
    const r1 = await code(first);
    const got2 = await within(second, 300);
    // Either the first saw it (its abort lost the race) or it went on to the second: once.
    if (r1 === "ok") assert.equal(got2, "still waiting");
    else assert.equal(got2, "a");
    assert.equal(await q.len("k"), 0, "the entry is also still queued");
  }],
  takers_served_in_arrival_order: [{ waits: true }, async (q) => {
    const ts = [q.take("k"), q.take("k"), q.take("k")];
    assert.equal(await within(ts[0], 50), "still waiting");
    for (const s of ["1", "2", "3"]) await q.push("k", s);
    assert.deepEqual([await ts[2], await ts[1], await ts[0]], ["3", "2", "1"]);
  }],
  close_ends_waiting_takes: [{ waits: true }, async (q) => {
    const t = q.take("k");
    assert.equal(await within(t, 50), "still waiting");
    await q.close();
    assert.equal(await code(within(t)), "CLOSED");
  }],
  lease_ack_settles: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    const l = await q.tryTakeLeased("k", 1000);
    assert.equal(l.value, "a");
    assert.equal(await q.len("k"), 0, "a leased entry is still counted as queued");
    await q.ack(l.id);
    await q.advance(1100);
    await expectTake(q, "k", undefined);
    assert.equal(await code(q.ack(l.id)), "LEASE_LOST");
  }],
  lease_expiry_requeues_at_the_head: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    await q.push("k", "b");
    assert.ok(await q.tryTakeLeased("k", 300));
    await q.advance(600);
    assert.equal(await q.len("k"), 2, "the expired entry is not back");
    await expectTake(q, "k", "a");
    await expectTake(q, "k", "b");
  }],
  nack_returns_to_the_head_and_counts: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    await q.push("k", "b");
    const l = await q.tryTakeLeased("k", 10_000);
    await q.nack(l.id);
    const l2 = await q.tryTakeLeased("k", 10_000);
    assert.equal(l2.value, "a");
    assert.equal(await code(q.nack(l.id)), "LEASE_LOST");
    await q.ack(l2.id);
    await expectTake(q, "k", "b");
  }],
  expired_lease_cannot_be_acked: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    const l = await q.tryTakeLeased("k", 300);
    await q.advance(600);
    assert.equal(await code(q.ack(l.id)), "LEASE_LOST");
    assert.equal(await q.len("k"), 1, "the entry is not queued after a late ack");
  }],
  extend_keeps_a_lease: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    const l = await q.tryTakeLeased("k", 600);
    await q.advance(350);
    await q.extend(l.id, 600);
    await q.advance(350); // past the first deadline, before the second
    await q.ack(l.id);
    await expectTake(q, "k", undefined);
  }],
  bad_lease_length_is_refused: [{ leases: true }, async (q) => {
    await q.push("k", "a");
    assert.equal(await code(q.tryTakeLeased("k", 0)), "LEASE_INVALID");
    assert.equal(await q.len("k"), 1, "a refused lease took the entry");
  }],
  unknown_lease_is_lost: [{ leases: true }, async (q) => {
    assert.equal(await code(q.ack(2 ** 52)), "LEASE_LOST");
    assert.equal(await code(q.nack(2 ** 52)), "LEASE_LOST");
  }],
  leases_settle_after_close: [{ leases: true }, async (q) => {
    for (const s of ["a", "b", "c"]) await q.push("k", s);
    const la = await q.tryTakeLeased("k", 10_000);
    const lb = await q.tryTakeLeased("k", 10_000);
    await q.close();
    await q.ack(la.id);
    await q.nack(lb.id);
    await expectTake(q, "k", "b");
    await expectTake(q, "k", "c");
    assert.equal(await code(q.tryTake("k")), "CLOSED");
  }],
  dead_letter_after_max_deliveries: [{ dead_letter: true }, async (q) => {
    await q.push("k", "poison");
    await q.push("k", "fine");
    for (let round = 1; round <= 2; round++) {
      const l = await q.tryTakeLeased("k", 10_000);
      assert.equal(l.value, "poison", `round ${round}`);
      await q.nack(l.id);
    }
    await expectTake(q, "dead", "poison");
    await expectTake(q, "k", "fine");
  }, { maxDeliveries: 2, deadLetterKey: "dead" }],
  full_push_is_refused_with_the_value: [{ bounds: true }, async (q) => {
    await q.push("k", "1");
    await q.push("k", "2");
    await assert.rejects(q.push("k", "3"), (e) => e.code === "BUFFER_FULL" && e.value === "3");
    await q.push("other", "x");
    await expectTake(q, "k", "1");
    await q.push("k", "3");
    assert.equal(await q.len("k"), 2);
  }, { keyMaxEntries: 2 }],
  leased_entries_hold_their_room: [{ bounds: true, leases: true }, async (q) => {
    await q.push("k", "a");
    const l = await q.tryTakeLeased("k", 10_000);
    assert.equal(await code(q.push("k", "b")), "BUFFER_FULL");
    await q.ack(l.id);
    await q.push("k", "b");
  }, { maxEntries: 1 }],
  bound_of_zero_is_invalid_config: [{ bounds: true }, "open-fails", { maxEntries: 0 }],
  push_waits_for_room: [{ back_pressure: true }],
  dropped_push_puts_nothing_in: [{ back_pressure: true }],
  close_refuses_waiting_push_with_the_value: [{ back_pressure: true }],
  reopen_keeps_entries_in_order: [{ durable: true }],
  reopen_returns_unacked_leases: [{ durable: true, leases: true }],
  reopen_after_close: [{ durable: true }],
};

const report = { passed: 0, failed: 0, na: [] };
for (const [name, [needs, run, options]] of Object.entries(CASES)) {
  const missing = Object.keys(needs).find((c) => needs[c] && !CAPS[c]);
  if (missing) {
    report.na.push(`${name} (needs ${missing})`);
    test(`kit[js-hub] ${name}`, { skip: `not applicable: needs ${missing}` }, () => {});
    continue;
  }
  test(`kit[js-hub] ${name}`, { timeout: 20_000 }, async () => {
    try {
      if (run === "open-fails") {
        assert.throws(() => open(options), { code: "INVALID_CONFIG" });
      } else {
        const q = open(options);
        try {
          await run(q);
        } finally {
          q.done();
        }
      }
      report.passed++;
    } catch (err) {
      report.failed++;
      throw err;
    }
  });
}

after(() => {
  console.log(`kit[js-hub]: ${report.passed} passed, ${report.failed} failed, ${report.na.length} not applicable`);
  for (const n of report.na) console.log(`  n/a    ${n}`);
});
