// What JS developers expect beyond the methods: `using` closes, `for await` ends on close, the
// Manager sweeps by itself when asked, and console.log / String() say something useful.
// (Node 20 has no `using` syntax yet: the tests call what it calls, `[Symbol.dispose]()` and
// `[Symbol.asyncDispose]()`, at the end of the block.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { LindyError, Name, Pattern, Space } from "lindy";
import { Ring } from "lindy/ring";
import * as channels from "lindy/channels";
import { Manager, PatternIndex, Streams } from "lindy/channels";
import * as core from "lindy";
import * as ringEntry from "lindy/ring";
import * as store from "lindy/store";

test("using closes a Space: waiting takes reject with CLOSED, entries stay drainable", async () => {
  const space = new Space();
  space.out("left", "over");
  const waiting = space.take("empty");
  space[Symbol.dispose]();
  const outer = space;
  assert.equal(outer.isClosed, true);
  await assert.rejects(waiting, (e) => e instanceof LindyError && e.code === "CLOSED");
  assert.equal(outer.tryTake("left"), "over");
});

test("using closes rings and streams", () => {
  const ring = new Ring(2);
  const hub = new Streams();
  const writer = hub.writer("p");
  const reader = hub.reader("p");
  for (const d of [reader, writer, hub, ring]) d[Symbol.dispose]();
  assert.equal(ring.isClosed, true);
  assert.equal(hub.isClosed, true);
  assert.equal(writer.isClosed, true);
  assert.equal(reader.tryRecv(), undefined, "a closed reader is at its end");
});

test("for await over takeEach ends when the space is closed", async () => {
  const space = new Space();
  space.outMany("jobs", [1, 2, 3]);
  const seen = [];
  const loop = (async () => {
    for await (const job of space.takeEach("jobs")) {
      seen.push(job);
      if (seen.length === 3) setTimeout(() => space.close(), 5);
    }
  })();
  await loop; // ends: close() finishes the iteration instead of hanging
  assert.deepEqual(seen, [1, 2, 3]);
});

test("for await over a ring ends once it is closed and drained", async () => {
  const ring = new Ring(4);
  ring.tryPush("a");
  ring.tryPush("b");
  ring.close();
  const seen = [];
  for await (const v of ring) seen.push(v);
  assert.deepEqual(seen, ["a", "b"]);
});

test("stopping takeEach early (break, return(), await using) leaves the rest in the space", async () => {
  const space = new Space();
  space.outMany("jobs", [1, 2, 3]);
  const jobs = space.takeEach("jobs");
  assert.deepEqual(await jobs.next(), { value: 1, done: false });
  await jobs.return(); // what `break` and `await using` call on an async generator
  assert.equal(space.len("jobs"), 2);
});

test("await using on a lindy iterator (Manager.events) stops it", async () => {
  const manager = new Manager();
  const events = manager.events();
  manager.openPublic("public:chat.rooms");
  assert.equal((await events.next()).value.kind, "opened");
  await events[Symbol.asyncDispose]();
  manager.openPublic("public:chat.more");
  assert.deepEqual(await events.next(), { value: undefined, done: true });
});

test("for await over Manager.events() ends on close(), after what was queued; a closed manager throws CLOSED", async () => {
  const manager = new Manager({ autoSweep: true });
  const seen = [];
  const loop = (async () => {
    for await (const e of manager.events()) seen.push(`${e.kind} ${e.name}`);
    return "ended";
  })();
  manager.openPublic("public:chat.rooms", 60_000);
  await sleep(5); // the loop is now waiting inside next()
  manager.delete("public:chat.rooms");
  manager.close(); // the `deleted` event is still queued: delivered, then the end
  assert.equal(await loop, "ended");
  assert.deepEqual(seen, ["opened public:chat.rooms", "deleted public:chat.rooms"]);
  assert.equal(manager.isClosed, true);
  assert.equal(manager.autoSweep, false, "close stops the timer");
  // A closed manager holds no channels; what would open, change or read one is CLOSED.
  assert.equal(manager.size, 0);
  assert.deepEqual(manager.list(), []);
  assert.equal(manager.isOpen("public:chat.rooms"), false);
  assert.equal(manager.pollTimeout(), undefined);
  assert.equal(manager.handleTimeout(), 0);
  const closed = (what) => (e) => e instanceof LindyError && e.code === "CLOSED" && e.message.startsWith(what);
  assert.throws(() => manager.openPublic("public:chat.more"), closed('Manager.openPublic("public:chat.more")'));
  assert.throws(() => manager.createPrivate("private:chat.x.y"), closed("Manager.createPrivate"));
  assert.throws(() => manager.get("public:chat.rooms"), closed("Manager.get"));
  assert.throws(() => manager.touch("public:chat.rooms"), closed("Manager.touch"));
  assert.throws(() => manager.delete("public:chat.rooms"), closed("Manager.delete"));
  assert.throws(() => manager.setDelta("public:chat.rooms", true), closed("Manager.setDelta"));
  assert.throws(() => manager.events(), closed("Manager.events"));
  manager.close(); // idempotent
  manager.free(); // the same as close()
  assert.equal(inspect(manager), "Manager { size: 0, pollTimeout: undefined, autoSweep: false, isClosed: true }");
});

test("using a Manager closes it: its events() iterators end", async () => {
  const manager = new Manager();
  const events = manager.events();
  manager.openPublic("public:chat.rooms");
  manager[Symbol.dispose]();
  assert.equal(manager.isClosed, true);
  assert.equal((await events.next()).value.kind, "opened", "queued before the close: delivered");
  assert.deepEqual(await events.next(), { value: undefined, done: true });
});

test("for await over a StreamReader ends when its hub is closed, after what was written", async () => {
  const hub = new Streams();
  const reader = hub.reader("p");
  hub.writer("p").tryWrite("hello");
  const got = [];
  const loop = (async () => {
    for await (const msg of reader) got.push(new TextDecoder().decode(msg));
  })();
  await sleep(5);
  hub.close();
  await loop;
  assert.deepEqual(got, ["hello"]);
});

test("Manager { autoSweep: true } expires channels on time without sweep()", async () => {
  const manager = new Manager({ autoSweep: true });
  assert.equal(manager.autoSweep, true);
  manager.openPublic("public:chat.rooms", 30);
  manager.openPublic("public:chat.later", 60_000);
  assert.equal(manager.isOpen("public:chat.rooms"), true);
  await sleep(120);
  assert.equal(manager.isOpen("public:chat.rooms"), false, "expired by the manager's own timer");
  assert.equal(manager.isOpen("public:chat.later"), true);
  manager[Symbol.dispose]();
  assert.equal(manager.autoSweep, false);
});

test("a Manager without autoSweep expires nothing by itself; bad options are coded", async () => {
  const manager = new Manager();
  manager.openPublic("public:chat.rooms", 10);
  await sleep(40);
  assert.equal(manager.get("public:chat.rooms").state, "open");
  assert.equal(manager.sweep(), 1);
  assert.throws(() => new Manager({ autosweep: true }), (e) => e instanceof LindyError && e.code === "INVALID_CONFIG");
  assert.throws(() => new Manager({ autoSweep: "yes" }), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.ok(new Manager() instanceof Manager);
});

test("console.log and String() show what an object holds", () => {
  const space = new Space();
  space.out("jobs", { secret: "not shown" });
  space.out("mail", 1);
  assert.equal(inspect(space), "Space { size: 2, keys: [ 'jobs', 'mail' ], isClosed: false }");
  assert.equal(String(space), 'Space {"size":2,"keys":["jobs","mail"],"isClosed":false}');
  assert.equal(Object.prototype.toString.call(space), "[object Space]");
  assert.equal(inspect(new Ring(3)), "Ring { length: 0, capacity: 3, isClosed: false }");
  assert.equal(inspect(Name.parse("public:chat.rooms")), "Name <public:chat.rooms>");
  assert.equal(inspect(Pattern.parse("public:chat.*")), "Pattern <public:chat.*>");
  assert.match(inspect(new Manager()), /^Manager \{ size: 0, pollTimeout: undefined, autoSweep: false, isClosed: false \}$/);
  const many = new Space();
  for (let i = 0; i < 20; i++) many.out(`k${String(i).padStart(2, "0")}`, i);
  assert.match(inspect(many), /'… 12 more'/);
  // Iterators say what they iterate (they hold no state worth showing).
  assert.equal(inspect(new Manager().events()), "LindyIterator <Manager.events>");
  assert.equal(inspect(new Manager().events({ pattern: "public:chat.*" })), "LindyIterator <Manager.events public:chat.*>");
  assert.equal(inspect(new Ring(1)[Symbol.asyncIterator]()), "LindyIterator <Ring>");
  assert.equal(String(new Streams().reader("p")[Symbol.asyncIterator]()), "LindyIterator <StreamReader>");
  assert.equal(Object.prototype.toString.call(new Manager().events()), "[object LindyIterator]");
  // Every class of every Node entry prints its name and facts, never a wasm pointer.
  const hub = new Streams();
  for (const obj of [new Space(), new Space().key("k"), new Ring(1), new Manager(), hub, hub.writer("p"), hub.reader("p"), new PatternIndex()]) {
    const shown = inspect(obj);
    assert.match(shown, new RegExp(`^${obj.constructor.name} [{<]`), shown);
    assert.doesNotMatch(shown, /__wbg_ptr/, shown);
    assert.doesNotMatch(String(obj), /^\[object/, String(obj));
  }
  const freed = new Ring(1);
  freed.free();
  assert.equal(inspect(freed), "Ring <freed>");
});

test("every class with a close() is disposable by close(), not by wasm-bindgen's free()", () => {
  const found = [];
  for (const [name, cls] of Object.entries({ ...core, ...ringEntry, ...channels, ...store })) {
    if (typeof cls !== "function" || typeof cls.prototype?.close !== "function") continue;
    const proto = cls.prototype;
    const dispose = proto[Symbol.dispose] ?? proto[Symbol.asyncDispose];
    assert.equal(typeof dispose, "function", `${name} has [Symbol.dispose] or [Symbol.asyncDispose]`);
    assert.notEqual(dispose, proto.free, `${name}: disposing closes (waiters told), it does not free under them`);
    found.push(name);
  }
  // And disposing closes: each Node-constructible one, disposed, says it is closed.
  const hub = new Streams();
  for (const obj of [new Space(), new Ring(1), new Manager(), new Streams(), hub.writer("p")]) {
    obj[Symbol.dispose]();
    assert.equal(obj.isClosed, true, obj.constructor.name);
  }
  const reader = hub.reader("q");
  reader[Symbol.dispose]();
  assert.equal(reader.tryRecv(), undefined, "a disposed reader is at its end");
  assert.deepEqual(found.sort(), ["IdbStore", "Manager", "Ring", "Space", "StreamReader", "StreamWriter", "Streams"]);
});
