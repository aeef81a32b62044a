// The package as a Node user sees it: `import ... from "lindy"` (package self-reference through
// package.json "exports", the same resolution an installed dependency gets).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as lindy from "lindy";
import * as lindyChannels from "lindy/channels";
import * as lindyRing from "lindy/ring";
import * as lindyStore from "lindy/store";
import { Name, Pattern, Space } from "lindy";
import { Ring } from "lindy/ring";
import { Manager, PatternIndex, Streams } from "lindy/channels";
import { IdbStore } from "lindy/store";

const PUBLIC_API = {
  lindy: [lindy, ["LindyError", "Name", "Pattern", "Space", "SpaceKey", "init"]],
  "lindy/ring": [lindyRing, ["LindyError", "LindyIterator", "Ring", "init"]],
  "lindy/channels": [lindyChannels, ["LindyError", "LindyIterator", "Manager", "PatternIndex", "StreamReader", "StreamWriter", "Streams", "init"]],
  "lindy/store": [lindyStore, ["IdbStore", "LindyError", "init"]],
};

test("each entry exports its public API and nothing of the loader", () => {
  for (const [entry, [module, api]] of Object.entries(PUBLIC_API)) {
    assert.deepEqual(Object.keys(module).sort(), [...api].sort(), entry);
    assert.equal(module.default, undefined, entry);
    assert.equal(module.initSync, undefined, entry);
  }
  assert.equal(lindyChannels.LindyError, lindy.LindyError, "one LindyError class for every entry");
  assert.equal(lindyStore.LindyError, lindy.LindyError, "one LindyError class for every entry");
  assert.equal(lindyRing.LindyError, lindy.LindyError, "one LindyError class for every entry");
});

test("IdbStore fails with a clear error where there is no IndexedDB", async () => {
  await assert.rejects(IdbStore.open("jobs"), (e) => {
    assert.equal(e.name, "LindyError");
    assert.equal(e.code, "IO");
    assert.match(e.message, /IndexedDB is not available/);
    return true;
  });
  // Argument errors come first, with Node-style codes.
  await assert.rejects(IdbStore.open(42), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  await assert.rejects(IdbStore.open("x", { durability: "fast" }), {
    name: "RangeError",
    code: "ERR_OUT_OF_RANGE",
  });
});

test("names and patterns: parse, match, errors carry .code and the place", () => {
  const n = Name.parse("public:chat.rooms.lobby");
  assert.equal(`${n}`, "public:chat.rooms.lobby");
  assert.equal(JSON.stringify({ n }), '{"n":"public:chat.rooms.lobby"}');
  assert.deepEqual([n.visibility, n.app, n.domain, n.id, n.topic], [
    "public", "chat", "rooms", "lobby", undefined,
  ]);
  assert.ok(Pattern.parse("public:chat.**").matches(n));
  assert.ok(Pattern.parse("public:chat.*.lobby").matches("public:chat.x.lobby"));
  assert.throws(() => Name.parse("public:chat..rooms"), (e) => {
    assert.equal(e.name, "LindyError");
    assert.equal(e.code, "CHANNEL_INVALID");
    assert.equal(e.segment, 1);
    assert.equal(typeof e.offset, "number");
    return e instanceof Error;
  });
  assert.throws(() => Pattern.parse("public:**.x"), { code: "PATTERN_INVALID" });
  assert.throws(() => Name.parse(), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => Pattern.parse({}), TypeError);
});

test("PatternIndex holds any JS value", () => {
  const index = new PatternIndex();
  const handler = () => "hi";
  const id = index.insert("public:chat.**", handler);
  index.insert(Pattern.parse("public:chat.*.lobby"), { bot: true });
  assert.equal(index.size, 2);
  const hits = index.matches("public:chat.rooms.lobby");
  assert.equal(hits.length, 2);
  assert.ok(hits.includes(handler));
  assert.equal(index.remove(id), handler);
  assert.equal(index.remove(id), undefined);
  // A removed subscription's slot is reused; the old id stays gone.
  const again = index.insert("public:news.*", "news");
  assert.notEqual(again, id);
  assert.equal(index.get(id), undefined);
  assert.equal(index.get(again), "news");
  assert.deepEqual(index.matches("public:news.today"), ["news"]);
  assert.deepEqual(index.matches("public:chat.rooms.lobby"), [{ bot: true }]);
  index.clear();
  assert.equal(index.size, 0);
  assert.deepEqual(index.matches("public:news.today"), []);
  assert.equal(index.get(again), undefined);
  assert.throws(() => index.insert(7, 1), TypeError);
  assert.throws(() => index.matches(), TypeError);
});

test("bad input never traps: every entry point throws a catchable error", () => {
  const bad = [undefined, null, 0, -1, 1.5, NaN, "", "x".repeat(1 << 16), {}, [], () => 1, Symbol("s"), 10n];
  const calls = [
    (v) => Name.parse(v),
    (v) => Pattern.parse(v),
    (v) => Pattern.parse("public:a.*").matches(v),
    (v) => new PatternIndex().insert(v, 1),
    (v) => new PatternIndex().remove(v),
    (v) => new PatternIndex().matches(v),
    (v) => Name.isValid(v),
  ];
  for (const call of calls) {
    for (const v of bad) {
      try {
        call(v);
      } catch (e) {
        assert.ok(e instanceof Error, `${call} threw a non-Error for ${String(v)}`);
        assert.ok(!(e instanceof WebAssembly.RuntimeError), `${call} trapped on ${String(v)}`);
      }
    }
  }
  // The module is still healthy afterwards.
  assert.ok(Pattern.parse("public:a.*").matches("public:a.b"));
});

test("Manager: lifecycle with the Date.now() clock, events with for await", async () => {
  const manager = new Manager();
  const seen = [];
  const consumer = (async () => {
    for await (const event of manager.events({ pattern: "public:chat.**" })) {
      seen.push(`${event.kind} ${event.name}`);
      if (event.kind === "deleted") break; // return(): releases the subscription
    }
  })();
  const before = Date.now();
  const room = manager.openPublic(Name.parse("public:chat.rooms.lobby"), 10_000);
  assert.equal(room.state, "open");
  assert.ok(room.createdAt >= before && room.expiresAt === room.lastActive + 10_000);
  manager.openPublic("public:news.today"); // filtered out
  manager.delete("public:chat.rooms.lobby");
  await consumer;
  assert.deepEqual(seen, ["opened public:chat.rooms.lobby", "deleted public:chat.rooms.lobby"]);
  assert.throws(() => manager.get("public:chat.rooms.lobby"), { code: "CHANNEL_NOT_FOUND" });
  assert.throws(() => manager.createPrivate("private:a.b.c", 2 * 3600_000), {
    code: "CHANNEL_TTL_EXCEEDS_MAX",
  });
});

test("Streams: a pipeline stage with for await, backpressure and end of stream", async () => {
  const hub = new Streams({ bufferSize: 2 });
  const reader = hub.reader("stage1");
  const writer = hub.writer("stage1");
  const produced = (async () => {
    for (const m of ["a", "bb", "ccc", "dddd"]) await writer.write(m); // waits when 2 are buffered
    writer.close();
  })();
  const got = [];
  for await (const msg of reader) got.push(new TextDecoder().decode(msg));
  await produced;
  assert.deepEqual(got, ["a", "bb", "ccc", "dddd"]);
  await assert.rejects(writer.write("late"), { code: "CLOSED" });
});

test("Ring: runtime capacity, back-pressure, for await until closed", async () => {
  const ring = new Ring(2);
  assert.equal(ring.tryPush("a"), true);
  assert.equal(ring.tryPush("b"), true);
  assert.equal(ring.tryPush("c"), false); // full: refused, not lost — the caller still has it
  const blocked = ring.push("c"); // waits for room
  assert.equal(ring.tryPop(), "a");
  await blocked;
  ring.close();
  const rest = [];
  for await (const v of ring) rest.push(v);
  assert.deepEqual(rest, ["b", "c"]);
  assert.throws(() => ring.tryPush("d"), { code: "CLOSED" });
  assert.throws(() => new Ring(0), RangeError);
  assert.throws(() => new Ring("8"), TypeError);
});

test("Space: the quick start, through the package's fast paths and its checking paths", async () => {
  const space = new Space();
  const job = { file: "a.png" };
  space.out("jobs", job);
  space.out("jobs", 2);
  assert.equal(space.len("jobs"), 2);
  assert.equal(await space.read("jobs"), job); // the same object, not a copy
  assert.equal(await space.take("jobs"), job);
  assert.equal(space.tryTake("jobs"), 2);
  assert.equal(space.tryTake("jobs"), undefined);
  await assert.rejects(space.take("jobs", { timeoutMs: 5 }), { code: "TIMEOUT" });
  const waiting = space.take("jobs");
  space.out("jobs", "late");
  assert.equal(await waiting, "late");
  space.outMany("batch", [1, 2, 3]);
  assert.deepEqual(space.takeMany("batch", 10), [1, 2, 3]);
  space.out("public:jobs.resize.a", "r");
  assert.deepEqual(await space.takeMatching("public:jobs.*.a"), { key: "public:jobs.resize.a", value: "r" });
  // Checking paths: every bad key or value is a proper error, whatever path it took.
  assert.throws(() => space.out(1, "x"), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => space.out("k", undefined), TypeError);
  assert.throws(() => space.out("k".repeat(5000), 1), { code: "KEY_INVALID" });
  assert.throws(() => space.out("\uD800", 1), { code: "KEY_INVALID" });
  assert.throws(() => space.tryTake({}), TypeError);
  assert.throws(() => space.len(null), TypeError);
  assert.throws(() => space.takeMany("k", -1), RangeError);
  await assert.rejects(space.take(undefined), TypeError);
  // Long but valid keys (3000 UTF-8 bytes, under the 4096-byte limit) work.
  const long = "é".repeat(1500); // 3000 UTF-8 bytes
  space.out(long, 1);
  assert.equal(space.tryTake(long), 1);
  // takeEach with for await; break leaves the rest.
  space.outMany("q", [1, 2, 3]);
  const got = [];
  for await (const v of space.takeEach("q")) {
    got.push(v);
    if (got.length === 2) break;
  }
  assert.deepEqual(got, [1, 2]);
  assert.equal(space.len("q"), 1);
  const jobs = space.key("jobs"); // a handle: the hot-loop form
  jobs.out("j");
  assert.equal(jobs.length, 1);
  assert.equal(await jobs.take(), "j");
  space.close();
  assert.throws(() => space.out("q", 1), { code: "CLOSED" });
  // The one close rule: takes drain what is queued, then report CLOSED.
  assert.equal(await space.take("q"), 3);
  await assert.rejects(space.take("q"), { code: "CLOSED" });
  assert.equal(space.tryTake("q"), undefined);
});

test("the vocabulary's names (docs/vocabulary.md), the old ones kept as aliases of the same functions", async () => {
  assert.equal(Ring.prototype.take, Ring.prototype.pop);
  assert.equal(Ring.prototype.tryTake, Ring.prototype.tryPop);
  const ring = new Ring(2);
  ring.tryPush("a");
  ring.tryPush("b");
  assert.equal(ring.tryTake(), "a");
  assert.equal(await ring.take(), "b");
  for (const [now, old] of [["take", "pull"], ["tryTake", "tryPull"], ["takeLeased", "pullLeased"], ["tryTakeLeased", "tryPullLeased"]]) {
    assert.equal(typeof IdbStore.prototype[now], "function", now);
    assert.equal(IdbStore.prototype[now], IdbStore.prototype[old], `${now} is ${old}`);
  }
  const manager = new Manager();
  assert.equal(manager.pollTimeout(), undefined);
  manager.openPublic("public:vocab.a", 60_000);
  assert.equal(manager.pollTimeout(), manager.nextDeadline);
  assert.ok(manager.pollTimeout() > Date.now());
  assert.equal(manager.handleTimeout(), 0, "nothing expired yet");
  assert.equal(manager.sweep(), 0, "the deprecated name still works");
});
