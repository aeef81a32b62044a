// "Bad input never traps": every method of every exported class, called with every kind of wrong
// value in its first two arguments, either works or throws/rejects an ordinary Error — never a
// WebAssembly.RuntimeError (a trap) — and the module keeps working afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "lindy";
import * as channels from "lindy/channels";
import * as ring from "lindy/ring";
import * as store from "lindy/store";

// Every entry's classes (LindyIterator: the channels entry's, which `FRESH` makes).
const lindy = { ...store, ...core, ...ring, ...channels };

const TO_STRING_THROWS = new Error("toString throws");
const BAD = [
  undefined, null, true, 0, -1, 1.5, NaN, Infinity, 2 ** 53, 10n, "", "x".repeat(70_000),
  "\uD800", {}, [], [undefined], () => {}, Symbol("s"), new Uint8Array(2),
  { toString() { throw TO_STRING_THROWS; } },
  Object.create(null),
];

const FRESH = {
  Space: () => new lindy.Space(),
  SpaceKey: () => new lindy.Space().key("k"),
  Ring: () => new lindy.Ring(2),
  Name: () => lindy.Name.parse("public:a.b"),
  Pattern: () => lindy.Pattern.parse("public:a.*"),
  PatternIndex: () => new lindy.PatternIndex(),
  Manager: () => new lindy.Manager(),
  Streams: () => new lindy.Streams(),
  StreamWriter: () => new lindy.Streams().writer("p"),
  StreamReader: () => new lindy.Streams().reader("p"),
  LindyIterator: () => new lindy.Manager().events(),
};
const SKIP = new Set(["constructor", "free"]);

function check(outcome, where) {
  if (outcome instanceof WebAssembly.RuntimeError) assert.fail(`${where} trapped: ${outcome.message}`);
  if (outcome !== undefined && !(outcome instanceof Error)) {
    assert.fail(`${where} threw a non-Error: ${String(outcome)}`);
  }
  // Every error carries a stable code: a LindyError's, or Node's ERR_* for a wrong argument —
  // except the user's own exception (a throwing toString), which is passed on as it is.
  if (outcome !== undefined && typeof outcome.code !== "string" && outcome !== TO_STRING_THROWS) {
    assert.fail(`${where} threw an error without a .code: ${outcome.name}: ${outcome.message}`);
  }
  if (outcome?.name === "LindyError" && !(outcome instanceof lindy.LindyError)) {
    assert.fail(`${where} threw a LindyError that is not an instance of the exported class`);
  }
}

async function settleQuickly(value, where) {
  if (!(value instanceof Promise)) return;
  // A call that validly waits (e.g. take on an empty key) is left pending.
  const timeout = new Promise((resolve) => setTimeout(resolve, 1, "pending"));
  try {
    await Promise.race([value, timeout]);
  } catch (e) {
    check(e, where);
  }
  value.catch(() => {}); // a later rejection is fine too
}

test("every method survives every bad argument", async () => {
  let calls = 0;
  for (const [cls, make] of Object.entries(FRESH)) {
    // Along the prototype chain: a JS subclass (Manager) inherits most methods from the wasm class.
    const methods = new Set();
    for (let proto = Object.getPrototypeOf(make()); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const m of Object.getOwnPropertyNames(proto)) {
        if (!SKIP.has(m) && !m.startsWith("__") && typeof Object.getOwnPropertyDescriptor(proto, m).value === "function") methods.add(m);
      }
    }
    assert.ok(methods.size > 0, cls);
    for (const method of methods) {
      for (const bad of BAD) {
        for (const args of [[bad], ["k", bad], [bad, bad]]) {
          const where = `${cls}.${method}(${args.map((a) => typeof a).join(", ")})`;
          calls++;
          try {
            await settleQuickly(make()[method](...args), where);
          } catch (e) {
            check(e, where);
          }
        }
      }
    }
  }
  // Statics too.
  for (const [cls, statics] of [["Name", ["parse", "isValid"]], ["Pattern", ["parse"]], ["IdbStore", ["open", "deleteDatabase"]]]) {
    for (const s of statics) {
      for (const bad of BAD) {
        calls++;
        try {
          await settleQuickly(lindy[cls][s](bad, bad), `${cls}.${s}`);
        } catch (e) {
          check(e, `${cls}.${s}`);
        }
      }
    }
  }
  assert.ok(calls > 1000, `${calls} calls`);
  // The module is healthy afterwards.
  const space = new lindy.Space();
  space.out("k", 1);
  assert.equal(await space.take("k"), 1);
  assert.ok(lindy.Pattern.parse("public:a.*").matches("public:a.b"));
});
