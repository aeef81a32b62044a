// The fan-out layer's errors: every argument error carries a code, unknown options are
// INVALID_CONFIG, timeoutMs: Infinity waits, and errors rebuilt after the port trip are the
// package's LindyError.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LindyError } from "lindy";
import { connect, serve, BroadcastBus, openSharedQueue } from "../src/fanout/index.js";
import { pair } from "./fanout-support/pair.mjs";

const coded = (name, code) => (e) => e.name === name && e.code === code;
const invalid = (e) => e instanceof LindyError && e.code === "INVALID_CONFIG";

test("argument errors carry Node's codes", async () => {
  const { remote, space, done } = pair();
  assert.throws(() => remote.take(42), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => remote.pushMany("k", "not an array"), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  await assert.rejects(remote.push("k", undefined), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => remote.takeMany("k", -1), coded("RangeError", "ERR_OUT_OF_RANGE"));
  assert.throws(() => remote.take("k", { timeoutMs: -1 }), coded("RangeError", "ERR_OUT_OF_RANGE"));
  assert.throws(() => connect({}), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => serve(space, {}), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => serve({}, new MessageChannel().port1), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => new BroadcastBus(""), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  assert.throws(() => openSharedQueue("db", {}), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  done();
});

test("unknown options are INVALID_CONFIG, everywhere", async () => {
  const { remote, space, done } = pair();
  assert.throws(() => remote.take("k", { timeout: 10 }), invalid);
  assert.throws(() => remote.peek("k", { transfer: true }), invalid);
  assert.throws(() => remote.takeLeased("k", { lease: 10 }), invalid);
  assert.throws(() => remote.push("k", 1, { transfers: true }), invalid);
  assert.throws(() => remote.take("k", "fast"), coded("TypeError", "ERR_INVALID_ARG_TYPE"));
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => serve(space, port1, { heartbeat: 5 }), invalid);
  assert.throws(() => connect(port2, { heartbeatMS: 5 }), invalid);
  assert.throws(() => new BroadcastBus("bus", { id: "x" }), invalid);
  port1.close();
  done();
});

test("timeoutMs: Infinity waits; a closed space rejects with the package's LindyError", async () => {
  const { remote, space, done } = pair();
  const waiting = remote.take("k", { timeoutMs: Infinity });
  await remote.push("k", "v");
  assert.equal(await waiting, "v");
  space.close();
  await assert.rejects(remote.push("k", 1), (e) => e instanceof LindyError && e.code === "CLOSED");
  done();
});

test("using disconnects a RemoteSpace and closes a Connection", async () => {
  const { remote, conn, space } = pair();
  const waiting = remote.take("k");
  remote[Symbol.dispose]();
  await assert.rejects(waiting, (e) => e instanceof LindyError && e.code === "CLOSED");
  conn[Symbol.dispose]();
  assert.equal(conn.open, false);
  space.push("k", 1);
  assert.equal(space.tryTake("k"), 1, "the space itself stays usable");
});
