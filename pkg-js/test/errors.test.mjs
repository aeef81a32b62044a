// Errors as a user meets them: one LindyError class (instanceof works for errors from the wasm
// core and from the JS layers), codes equal to the documented Rust tables, unknown options
// refused, AbortSignal.timeout() reported as TIMEOUT, timeoutMs: Infinity meaning no timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { LindyError, Name, Pattern, Space } from "lindy";
import { Ring } from "lindy/ring";
import { Manager, PatternIndex, Streams } from "lindy/channels";
import { IdbStore } from "lindy/store";
import * as fanout from "lindy/fanout";
import { expose } from "lindy/workers";
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

// Every call of the Node-loadable entries that takes an options object (IdbStore's: in Chromium,
// browser-ergonomics.test.mjs), with one bad and one good option each.
const OPTION_CALLS = {
  "new Space": (o) => new Space(o),
  "Space.take": (o) => new Space().take("k", o),
  "Space.peek": (o) => new Space().peek("k", o),
  "Space.takeMatching": (o) => new Space().takeMatching("public:a.*", o),
  "Space.takeEach": (o) => new Space().takeEach("k", o).next(),
  "Space.takeLeased": (o) => new Space().takeLeased("k", o),
  "Space.tryTakeLeased": (o) => new Space().tryTakeLeased("k", o),
  "SpaceKey.take": (o) => new Space().key("k").take(o),
  "SpaceKey.peek": (o) => new Space().key("k").peek(o),
  "SpaceKey.takeLeased": (o) => new Space().key("k").takeLeased(o),
  "Ring.take": (o) => new Ring(1).take(o),
  "Ring.push": (o) => new Ring(1).push(1, o),
  "new Manager": (o) => new Manager(o),
  "Manager.events": (o) => new Manager().events(o),
  "new Streams": (o) => new Streams(o),
  "StreamWriter.write": (o) => new Streams().writer("p").write("m", o),
  "StreamReader.recv": (o) => new Streams().reader("p").recv(o),
};

test("every call taking options refuses an unknown one with INVALID_CONFIG, naming the call and the option", async () => {
  for (const [call, run] of Object.entries(OPTION_CALLS)) {
    let outcome;
    try {
      outcome = await Promise.race([run({ timeoutMillis: 5 }), sleep(50).then(() => "still waiting")]);
    } catch (e) {
      outcome = e;
    }
    assert.ok(outcome instanceof LindyError, `${call}: ${outcome}`);
    assert.equal(outcome.code, "INVALID_CONFIG", `${call}: ${outcome.message}`);
    assert.match(outcome.message, /timeoutMillis/, `${call} names the option`);
    // A SpaceKey is a handle on its space: its calls are named as the Space call they make.
    const [cls, method] = call.replace("new ", "").replace(/^SpaceKey\./, "Space.").split(".");
    assert.ok(outcome.message.includes(cls) && (!method || outcome.message.includes(method)), `${call} is named: ${outcome.message}`);
  }
});

// Every call that waits, set up so that it does wait (an empty key, a full ring or buffer).
const WAITS = {
  "Space.take": (o) => new Space().take("k", o),
  "Space.peek": (o) => new Space().peek("k", o),
  "Space.takeMatching": (o) => new Space().takeMatching("public:a.*", o),
  "Space.takeLeased": (o) => new Space().takeLeased("k", o),
  "SpaceKey.take": (o) => new Space().key("k").take(o),
  "SpaceKey.peek": (o) => new Space().key("k").peek(o),
  "SpaceKey.takeLeased": (o) => new Space().key("k").takeLeased(o),
  "Ring.take": (o) => new Ring(1).take(o),
  "Ring.push": (o) => {
    const ring = new Ring(1);
    ring.tryPush(0);
    return ring.push(1, o);
  },
  "StreamWriter.write": (o) => {
    const hub = new Streams({ bufferSize: 1 });
    const w = hub.writer("p");
    hub.reader("p");
    w.tryWrite("fill");
    return w.write("m", o);
  },
  "StreamReader.recv": (o) => {
    const hub = new Streams();
    hub.writer("p");
    return hub.reader("p").recv(o);
  },
};

test("every waiting call: AbortSignal.timeout() is TIMEOUT, abort() is ABORTED, timeoutMs: Infinity waits", async () => {
  const alive = setInterval(() => {}, 1000); // AbortSignal.timeout's timer is unref'd in Node
  for (const [call, run] of Object.entries(WAITS)) {
    await assert.rejects(run({ signal: AbortSignal.timeout(5) }), (e) => {
      assert.ok(e instanceof LindyError, `${call}: ${e}`);
      assert.equal(e.code, "TIMEOUT", `${call}: ${e.message}`);
      assert.equal(e.cause?.name, "TimeoutError", call);
      return true;
    });
    await assert.rejects(run({ timeoutMs: 5 }), (e) => e instanceof LindyError && e.code === "TIMEOUT", call);
    const ac = new AbortController();
    const aborted = run({ signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, (e) => e instanceof LindyError && e.code === "ABORTED", call);
    let settled = false;
    run({ timeoutMs: Infinity }).then(
      () => (settled = true),
      () => (settled = true),
    );
    await sleep(15);
    assert.equal(settled, false, `${call} with timeoutMs: Infinity is still waiting`);
    await assert.rejects(
      run({ timeoutMs: 2 ** 40 }),
      (e) => e.code === "ERR_OUT_OF_RANGE" && e instanceof RangeError,
      `${call}: a finite timeout above what timers allow`,
    );
  }
  clearInterval(alive);
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

test("every throw and reject in pkg-js/src raises a coded error (or passes a caught one on)", async () => {
  const src = new URL("../src/", import.meta.url);
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".js"));
  const texts = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(new URL(f, src), "utf8")])));
  const all = Object.values(texts).join("\n");
  // A helper is coded when every value it returns is a LindyError, a typeError() or a rangeError().
  const coded = new Set(["LindyError", "typeError", "rangeError"]);
  for (const [, name, body] of all.matchAll(/^(?:export )?function (\w+)\([^)]*\) \{\n([\s\S]*?)\n\}/gm)) {
    const returns = [...body.matchAll(/return ([^;]*)/g)].map((m) => m[1].trim());
    if (returns.length > 0 && returns.every((r) => /^(?:new LindyError\(|typeError\(|rangeError\(|err$)/.test(r))) coded.add(name);
  }
  let sites = 0;
  const uncoded = [];
  for (const [file, text] of Object.entries(texts)) {
    for (const m of text.matchAll(/\b(?:throw|reject\()\s*(?:Object\.assign\()?(new )?(\w+)(\(|[;)])/g)) {
      sites++;
      const [, isNew, name, after] = m;
      const rethrow = !isNew && after !== "("; // `throw err` / `reject(e)`: a caught error, passed on
      const fromTheWire = name === "fromWire"; // the hub's own error, rebuilt with its code
      if (!rethrow && !fromTheWire && !coded.has(name)) {
        uncoded.push(`${file}:${text.slice(0, m.index).split("\n").length}: ${m[0]}`);
      }
    }
  }
  assert.ok(sites > 80, `${sites} throw/reject sites found`);
  assert.deepEqual(uncoded, [], "throw/reject sites without a coded error");
});

test("messages name the call, the key or channel, and the argument (with its index)", async () => {
  const message = (f) => {
    try {
      f();
    } catch (e) {
      assert.equal(typeof e.code, "string", e.message);
      return e.message;
    }
    assert.fail("no error");
  };
  const m = new Manager();
  m.createPrivate("private:a.b.c");
  const cases = [
    [() => m.get("public:none.x"), /^Manager\.get: .*public:none\.x/],
    [() => m.touch("public:none.x"), /^Manager\.touch: .*public:none\.x/],
    [() => m.createPrivate("private:a.b.c"), /^Manager\.createPrivate: .*private:a\.b\.c/],
    [() => m.createPrivate("private:a.b.d", 7_200_000), /^Manager\.createPrivate: .*private:a\.b\.d/],
    [() => m.setDelta("public:none.x", true), /^Manager\.setDelta: .*public:none\.x/],
    [() => m.openPublic("public:Bad"), /^Manager\.openPublic: name: invalid channel name: .*'B' at byte 7/],
    [() => new PatternIndex().insert("public:a.**.b", 1), /^PatternIndex\.insert: pattern: /],
    [() => Name.parse("nope"), /^Name\.parse: name: /],
    [() => Pattern.parse("public:a.**.b"), /^Pattern\.parse: pattern: /],
    [() => new Space().pushMany("jobs", [1, 2, undefined]), /^Space\.pushMany\("jobs", values\): values\[2\] must not be undefined/],
    [() => new Space().push("jobs", undefined), /^Space\.push\("jobs", value\)/],
    [() => new Ring(1).tryPush(undefined), /^Ring\.tryPush: value must not be undefined \(tryTake\/take/],
    [() => new Streams().writer(""), /^Streams\.writer: path must be 1\.\.=1024 bytes long, got 0/],
    [() => new Streams({ bufferSize: -1 }), /^new Streams: options\.bufferSize /],
    [() => new Manager().events({ capacity: 0 }), /^Manager\.events: options\.capacity /],
  ];
  for (const [call, expected] of cases) assert.match(message(call), expected);
  const hub = new Streams();
  hub.close();
  assert.match(message(() => hub.writer("p")), /^Streams\.writer: .*`p`/);
  const w = new Streams().writer("p");
  w.close();
  assert.match(message(() => w.tryWrite("x")), /^StreamWriter\.tryWrite: closed/);
  await assert.rejects(w.write("x"), (e) => e.code === "CLOSED" && /^StreamWriter\.write: closed/.test(e.message));
});

test("expose refuses an unknown option at once, not when the first worker connects", () => {
  const { port1 } = new MessageChannel();
  assert.throws(
    () => expose(new Space(), port1, { heartbeatTimeout: 5 }),
    (e) => e instanceof LindyError && e.code === "INVALID_CONFIG" && /^expose: .*heartbeatTimeout/.test(e.message),
  );
  port1.close();
  const { port1: ok } = new MessageChannel();
  expose(new Space(), ok, { heartbeatTimeoutMs: 0 }).close();
  ok.close();
});
