// Default memory bounds on the non-Space surfaces, and wasm memory exhaustion as a coded error:
// a user value can never grow wasm memory without bound silently, and a value wasm memory cannot
// hold is refused with a code — never a trap that would kill the instance (issue 14).
// Each test file runs in its own Node process: the exhaustion below stays in this one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LindyError, Name, Pattern, Space } from "lindy";
import { Ring } from "lindy/ring";
import { Manager, PatternIndex, Streams } from "lindy/channels";
import { __memoryBytes as coreMemory } from "../dist/lindy.js";
import { __memoryBytes as channelsMemory } from "../dist/channels.js";
import { __memoryBytes as ringMemory } from "../dist/ring.js";

const coded = (code) => (e) => {
  assert.ok(e instanceof LindyError, `${e}`);
  assert.equal(e.code, code, e.message);
  return true;
};

test("a key, path or name longer than its limit is refused before it is copied into wasm memory", async () => {
  // Each call gets a longer string than the one before, so an implementation that copied it in
  // would have to grow wasm memory every time (the allocator cannot reuse a smaller free block).
  let units = 8 << 20;
  const huge = () => "a".repeat((units += 2 << 20));
  const cases = [
    // [what, call, the module's memory, expected outcome]
    ["Streams.writer", (s) => new Streams().writer(s), channelsMemory, "INVALID_PATH"],
    ["Streams.reader", (s) => new Streams().reader(s), channelsMemory, "INVALID_PATH"],
    ["Streams.exists", (s) => new Streams().exists(s), channelsMemory, false],
    ["Streams.delete", (s) => new Streams().delete(s), channelsMemory, undefined],
    ["Streams.list", (s) => new Streams().list(s), channelsMemory, []],
    ["Streams.broadcast", (s) => new Streams().broadcast(s, "m"), channelsMemory, { matched: 0, skipped: 0 }],
    ["Manager.openPublic", (s) => new Manager().openPublic(s), channelsMemory, "CHANNEL_INVALID"],
    ["Manager.createPrivate", (s) => new Manager().createPrivate(s), channelsMemory, "CHANNEL_INVALID"],
    ["Manager.get", (s) => new Manager().get(s), channelsMemory, "CHANNEL_INVALID"],
    ["Manager.touch", (s) => new Manager().touch(s), channelsMemory, "CHANNEL_INVALID"],
    ["Manager.events", (s) => new Manager().events({ pattern: s }), channelsMemory, "PATTERN_INVALID"],
    ["PatternIndex.insert", (s) => new PatternIndex().insert(s, 1), channelsMemory, "PATTERN_INVALID"],
    ["PatternIndex.matches", (s) => new PatternIndex().matches(s), channelsMemory, []],
    ["PatternIndex.hasMatch", (s) => new PatternIndex().hasMatch(s), channelsMemory, false],
    ["Name.parse", (s) => Name.parse(s), coreMemory, "CHANNEL_INVALID"],
    ["Name.isValid", (s) => Name.isValid(s), coreMemory, false],
    ["Pattern.parse", (s) => Pattern.parse(s), coreMemory, "PATTERN_INVALID"],
    ["Pattern.matches", (s) => Pattern.parse("public:a.*").matches(s), coreMemory, false],
    ["Space.push", (s) => new Space().push(s, 1), coreMemory, "KEY_INVALID"],
    ["Space.tryTake", (s) => new Space().tryTake(s), coreMemory, "KEY_INVALID"],
    ["Space.key", (s) => new Space().key(s), coreMemory, "KEY_INVALID"],
    ["Space.tryTakeMatching", (s) => new Space().tryTakeMatching(s), coreMemory, "PATTERN_INVALID"],
  ];
  for (const [what, call, memory, expected] of cases) {
    const arg = huge();
    const before = memory();
    let outcome;
    try {
      outcome = call(arg);
    } catch (e) {
      assert.ok(e instanceof LindyError, `${what}: ${e}`);
      outcome = e.code;
      assert.ok(e.message.startsWith(what), `${what}: the message names the method: ${e.message}`);
    }
    assert.deepEqual(outcome, expected, what);
    assert.equal(memory(), before, `${what}: wasm memory did not grow`);
  }
  // An object standing for a name (its toString) is measured the same way.
  const longName = { toString: () => huge() };
  const before = channelsMemory();
  assert.throws(() => new Manager().openPublic(longName), coded("CHANNEL_INVALID"));
  assert.equal(new PatternIndex().hasMatch(longName), false);
  assert.equal(channelsMemory(), before, "toString's result was not copied in");
  assert.equal(Pattern.parse("public:a.*").matches({ toString: () => "public:a.b" }), true, "a short one still works");
  // At the limit, still accepted (the exact UTF-8 length decides).
  assert.ok(new Streams().writer("p".repeat(1024)));
  assert.throws(() => new Streams().writer("é".repeat(513)), coded("INVALID_PATH"), "1026 UTF-8 bytes");
  assert.equal(Name.isValid(`public:${"a".repeat(64)}.b`), true);
});

test("Streams: a message over maxMessageBytes (default 1 MiB) is VALUE_TOO_LARGE, measured before it is copied", async () => {
  const hub = new Streams();
  const w = hub.writer("p");
  const r = hub.reader("p");
  const before = channelsMemory();
  assert.throws(() => w.tryWrite(new Uint8Array((1 << 20) + 1)), coded("VALUE_TOO_LARGE"));
  await assert.rejects(w.write(new Uint8Array((1 << 20) + 1)), coded("VALUE_TOO_LARGE"));
  // 64 M UTF-16 units: refused on its length, never converted into wasm memory.
  assert.throws(() => w.tryWrite("x".repeat(64 << 20)), coded("VALUE_TOO_LARGE"));
  assert.throws(() => hub.broadcast("", new Uint8Array(2 << 20)), coded("VALUE_TOO_LARGE"));
  assert.equal(channelsMemory(), before, "nothing grew wasm memory");
  // Exactly the bound passes; a hub can raise it.
  assert.equal(w.tryWrite(new Uint8Array(1 << 20)), true);
  assert.equal((await r.recv()).length, 1 << 20);
  const big = new Streams({ maxMessageBytes: 4 << 20 });
  assert.equal(big.writer("p").tryWrite(new Uint8Array(3 << 20)), true);
  assert.throws(() => new Streams({ maxMessageBytes: 0 }), (e) => e instanceof RangeError);
  assert.throws(() => new Streams({ maxMesageBytes: 1 }), coded("INVALID_CONFIG"));
});

test("Streams: one path more than maxPaths (default 1024) is BUFFER_FULL; existing paths still open", () => {
  const hub = new Streams({ maxPaths: 2 });
  hub.writer("a");
  hub.reader("b");
  assert.throws(() => hub.writer("c"), coded("BUFFER_FULL"));
  assert.throws(() => hub.reader("c"), coded("BUFFER_FULL"));
  hub.writer("a"); // not a new path
  hub.reader("b");
  hub.delete("a");
  hub.writer("c");
  const defaults = new Streams();
  for (let i = 0; i < 1024; i++) defaults.reader(`p${i}`);
  assert.throws(() => defaults.reader("one-more"), coded("BUFFER_FULL"));
});

test("Manager: one live channel more than maxChannels (default 65 536) is BUFFER_FULL", () => {
  const m = new Manager({ maxChannels: 2 });
  m.openPublic("public:a.one");
  m.createPrivate("private:a.two.x");
  assert.throws(() => m.openPublic("public:a.three"), coded("BUFFER_FULL"));
  assert.throws(() => m.createPrivate("private:a.three.x"), coded("BUFFER_FULL"));
  m.openPublic("public:a.one"); // refreshing an existing channel adds nothing
  assert.throws(() => m.openPublic("not a name"), coded("CHANNEL_INVALID"), "a bad name keeps its own error");
  m.delete("public:a.one");
  m.openPublic("public:a.three");
  assert.equal(m.size, 2);
  assert.throws(() => new Manager({ maxChannels: 0 }), (e) => e instanceof RangeError);
  assert.throws(() => new Manager({ maxChannel: 5 }), coded("INVALID_CONFIG"));
  const defaults = new Manager();
  for (let i = 0; i < 65_536; i++) defaults.openPublic(`public:app.c${i}`);
  assert.throws(() => defaults.openPublic("public:app.more"), coded("BUFFER_FULL"));
});

test("wasm memory exhaustion is a coded error and the instance keeps working (channels)", async () => {
  // A message larger than wasm32 memory can ever grow to (4 GiB in all): the allocation fails,
  // and that is OUT_OF_MEMORY, not a trap. (The typed array's pages are never touched.)
  const hub = new Streams({ maxMessageBytes: 4294967295 });
  const w = hub.writer("p");
  const r = hub.reader("p");
  const huge = new Uint8Array(4294967295);
  assert.throws(() => w.tryWrite(huge), coded("OUT_OF_MEMORY"));
  await assert.rejects(w.write(huge), coded("OUT_OF_MEMORY"));
  // Still alive: the same writer, a new hub, a Manager.
  assert.equal(w.tryWrite(new Uint8Array([9])), true);
  assert.deepEqual([...(await r.recv())], [9]);
  new Manager().openPublic("public:still.alive");
});

test("wasm memory exhaustion is a coded error and the instance keeps working (lindy/ring: Ring)", () => {
  // Rings take their slots up front: allocate until wasm memory (4 GiB) cannot grow (the pages
  // are never touched, so this costs address space, not RAM).
  const rings = [];
  let error;
  for (let i = 0; i < 1000 && !error; i++) {
    try {
      rings.push(new Ring(16_777_216));
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error, "memory ran out");
  coded("OUT_OF_MEMORY")(error);
  assert.match(error.message, /^new Ring: wasm memory cannot grow by \d+ bytes/);
  assert.ok(ringMemory() > 2 ** 31, `wasm memory grew to ${ringMemory()} bytes before it ran out`);
  for (const ring of rings) ring.free();
  rings.length = 0;
  const ring = new Ring(2);
  assert.equal(ring.tryPush(1), true);
  assert.equal(ring.tryTake(), 1, "the instance still works");
});
