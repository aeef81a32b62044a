// Errors as a user meets them: one LindyError class (instanceof works for errors from the wasm
// core and from the JS layers), codes equal to the documented Rust tables, unknown options
// refused, AbortSignal.timeout() reported as TIMEOUT, timeoutMs: Infinity meaning no timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { LindyError, Name, Pattern, Space } from "lindy";
import { Ring } from "lindy/ring";
import { Manager, PatternIndex, Streams } from "lindy/channels";
import { IdbStore } from "lindy/store";
import * as fanout from "lindy/fanout";
import { Code } from "../src/errors.js";

const repo = new URL("../../", import.meta.url);

/** The codes listed in a Rust `pub const NAME: &str = "NAME";` table. */
async function rustCodes(path) {
  const src = await readFile(new URL(path, repo), "utf8");
  return [...src.matchAll(/pub const (\w+): &str = "(\w+)";/g)].map((m) => m[2]);
}

test("the JS codes are exactly the documented Rust codes, and the types say so", async () => {
  const rust = [...(await rustCodes("src/error.rs")), ...(await rustCodes("crates/lindy-wasm/src/codes.rs"))];
  assert.deepEqual(Object.values(Code).sort(), [...new Set(rust)].sort());
  const dts = await readFile(new URL("../src/errors.d.ts", import.meta.url), "utf8");
  const union = dts.match(/export type LindyErrorCode =([^;]*);/)[1];
  assert.deepEqual([...union.matchAll(/"(\w+)"/g)].map((m) => m[1]).sort(), Object.values(Code).sort());
});

test("errors from the wasm core are LindyError instances with .code, .segment, .offset", () => {
  assert.throws(() => Name.parse("public:chat..x"), (e) => {
    assert.ok(e instanceof LindyError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "LindyError");
    assert.equal(e.code, "CHANNEL_INVALID");
    assert.equal(typeof e.segment, "number");
    assert.equal(typeof e.offset, "number");
    assert.match(String(e.stack), /LindyError/);
    return true;
  });
  assert.throws(() => Pattern.parse("public:**.x"), (e) => e instanceof LindyError && e.code === "PATTERN_INVALID");
});

test("the fan-out layer throws the same class", () => {
  assert.equal(fanout.LindyError, LindyError);
});

test("an unknown option is INVALID_CONFIG, not ignored", async () => {
  const space = new Space();
  const invalid = (e) => e instanceof LindyError && e.code === "INVALID_CONFIG" && /timeout/.test(e.message);
  await assert.rejects(space.take("k", { timeout: 10 }), invalid);
  await assert.rejects(space.read("k", { timeout: 10 }), invalid);
  await assert.rejects(new Ring(1).pop({ timeout: 10 }), invalid);
  assert.throws(() => new Streams({ bufSize: 2 }), (e) => e.code === "INVALID_CONFIG" && /bufSize/.test(e.message));
  assert.throws(() => new Manager().events({ cap: 2 }), (e) => e.code === "INVALID_CONFIG" && /cap/.test(e.message));
  await assert.rejects(IdbStore.open("db", { durable: true }), (e) => e.code === "INVALID_CONFIG");
  // Known options still work.
  space.out("k", 1);
  assert.equal(await space.take("k", { timeoutMs: 10, signal: undefined }), 1);
});

test("AbortSignal.timeout() reports TIMEOUT, abort() reports ABORTED; nothing is taken", async () => {
  // Node unrefs AbortSignal.timeout's timer: something must keep the event loop alive meanwhile.
  const alive = setInterval(() => {}, 1000);
  const space = new Space();
  await assert.rejects(space.take("k", { signal: AbortSignal.timeout(5) }), (e) => {
    assert.ok(e instanceof LindyError);
    assert.equal(e.code, "TIMEOUT");
    assert.equal(e.cause?.name, "TimeoutError");
    return true;
  });
  await assert.rejects(new Ring(1).pop({ signal: AbortSignal.timeout(5) }), { code: "TIMEOUT" });
  const ac = new AbortController();
  const waiting = space.take("k", { signal: ac.signal });
  ac.abort();
  await assert.rejects(waiting, { code: "ABORTED" });
  await assert.rejects(space.take("k", { timeoutMs: 5 }), { code: "TIMEOUT" });
  space.out("k", "kept");
  assert.equal(space.tryTake("k"), "kept");
  clearInterval(alive);
});

test("timeoutMs: Infinity means no timeout", async () => {
  const space = new Space();
  let settled = false;
  const waiting = space.take("k", { timeoutMs: Infinity }).finally(() => (settled = true));
  await sleep(20);
  assert.equal(settled, false);
  space.out("k", "late");
  assert.equal(await waiting, "late");
  const ring = new Ring(1);
  const popping = ring.pop({ timeoutMs: Infinity });
  ring.tryPush(3);
  assert.equal(await popping, 3);
  // Finite values above what timers allow are still refused, with a code.
  await assert.rejects(space.take("k", { timeoutMs: 2 ** 40 }), { name: "RangeError", code: "ERR_OUT_OF_RANGE" });
});

test("an object whose toString throws: the user's own exception comes back, not a parse error", async () => {
  const mine = new Error("mine");
  const bad = { toString() { throw mine; } };
  assert.throws(() => new PatternIndex().insert(bad, 1), (e) => e === mine);
  assert.throws(() => new Manager().openPublic(bad), (e) => e === mine);
  assert.throws(() => Pattern.parse("public:a.*").matches(bad), (e) => e === mine);
});
