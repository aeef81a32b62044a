// Compiled by test/package.test.mjs with `tsc --noEmit`: the calls below must type-check and the
// `@ts-expect-error` lines must fail to, so the published types are real, not `any`.
import { LindyError, Name, Pattern, Space, init } from "lindy";
import { Ring } from "lindy/ring";
import type { LindyErrorCode, WaitOptions } from "lindy";
import { Manager, PatternIndex, Streams, init as initChannels } from "lindy/channels";
import type { ChannelEvent, ChannelInfo } from "lindy/channels";
import { IdbStore, init as initStore } from "lindy/store";
import type { IdbStoreOptions } from "lindy/store";

export async function usage(): Promise<void> {
  await Promise.all([init(), initChannels(), initStore()]);
  const opts: IdbStoreOptions = { durability: "strict", maxValueBytes: 1 << 20 };
  const store: IdbStore = await IdbStore.open("jobs", opts);
  await store.push("q", new Uint8Array([1, 2]));
  const wait: WaitOptions = { signal: AbortSignal.timeout(100), timeoutMs: 50 };
  const v: Uint8Array = await store.pull("q", wait);
  const maybe: Uint8Array | undefined = await store.tryPull("q");
  const n: number = store.len("q");
  const keys: string[] = store.keys();
  await store.close();
  await IdbStore.deleteDatabase("jobs");

  const name: Name = Name.parse("public:chat.rooms");
  const vis: "public" | "private" = name.visibility;
  const id: string | undefined = name.id;
  const ok: boolean = Pattern.parse("public:chat.*").matches(name);
  const index = new PatternIndex();
  const sub: number = index.insert("public:chat.**", { any: "value" });
  const hits: unknown[] = index.matches("public:chat.x");

  const manager = new Manager();
  const info: ChannelInfo = manager.openPublic("public:chat.rooms", 60_000);
  const state: "open" | "closed" | "deleted" = info.state;
  for await (const event of manager.events({ pattern: "public:chat.**", capacity: 16 })) {
    const e: ChannelEvent = event;
    void e;
    break;
  }
  const hub = new Streams({ bufferSize: 8, persistent: true });
  const writer = hub.writer("stage1");
  await writer.write("text");
  await writer.write(new Uint8Array([1]), { timeoutMs: 10 });
  for await (const msg of hub.reader("stage1")) {
    const m: Uint8Array = msg;
    void m;
  }
  void state;

  const space = new Space();
  space.out("jobs", { file: "a.png" });
  const job: unknown = await space.take("jobs", { signal: AbortSignal.timeout(10), timeoutMs: 5 });
  const m: { key: string; value: unknown } = await space.takeMatching(Pattern.parse("public:jobs.*"));
  for await (const j of space.takeEach("jobs")) void j;
  const many: unknown[] = space.takeMany("jobs", 10);
  void [job, m, many];
  // @ts-expect-error: keys are strings
  space.out(1, "x");

  const ring = new Ring(8);
  const pushed: boolean = ring.tryPush({ any: 1 });
  await ring.push("x", { timeoutMs: 5 });
  const popped: unknown = await ring.pop();
  for await (const v of ring) void v;
  void [pushed, popped];

  try {
    Name.parse("bad");
  } catch (e) {
    if (e instanceof LindyError) {
      const code: LindyErrorCode = e.code;
      const where: [number | undefined, number | undefined] = [e.segment, e.offset];
      void [code, where];
    }
  }

  // @ts-expect-error: keys are strings
  await store.push(1, new Uint8Array());
  // @ts-expect-error: payloads are Uint8Array
  await store.push("q", "text");
  // @ts-expect-error: durability is one of three words
  await IdbStore.open("x", { durability: "fast" });
  // @ts-expect-error: pull resolves with bytes, not a string
  const s: string = await store.pull("q");
  // @ts-expect-error: not a code
  const bad: LindyErrorCode = "NOPE";
  // @ts-expect-error: a capacity is a number
  new Ring("8");
  // @ts-expect-error: a TTL is a number of milliseconds
  manager.openPublic("public:a.b", "10s");
  // @ts-expect-error: messages are bytes or strings
  await writer.write(42);

  void [v, maybe, n, keys, vis, id, ok, sub, hits, s, bad];

}

export async function generics(): Promise<void> {
  await init();
  const jobs = new Space<{ id: number }>();
  jobs.out("jobs", { id: 1 });
  jobs.outMany("jobs", [{ id: 2 }, { id: 3 }]);
  const job: { id: number } = await jobs.take("jobs");
  const maybe: { id: number } | undefined = jobs.tryTake("jobs");
  const entry: { key: string; value: { id: number } } = await jobs.takeMatching("public:jobs.*");
  for await (const j of jobs.takeEach("jobs")) {
    const id: number = j.id;
    void id;
  }
  const bound = jobs.key("jobs");
  const b: { id: number } = await bound.take({ timeoutMs: Infinity });
  // @ts-expect-error: the space holds { id: number }
  jobs.out("jobs", "text");
  // @ts-expect-error: undefined means "nothing there": it is not a value
  new Space().out("jobs", undefined);
  // @ts-expect-error: nor can a Space be made to hold it
  new Space<string | undefined>();
  // @ts-expect-error: a misspelt option (the runtime throws INVALID_CONFIG too)
  await jobs.take("jobs", { timeout: 10 });

  const ring = new Ring<string>(4);
  ring.tryPush("a");
  const r: string | undefined = await ring.pop();
  // @ts-expect-error: the ring holds strings
  ring.tryPush(1);

  const index = new PatternIndex<(name: string) => void>();
  index.insert("public:chat.*", (name) => void name);
  for (const f of index.matches("public:chat.x")) f("public:chat.x");

  {
    using space = new Space<number>();
    space.out("n", 1);
    using manager = new Manager({ autoSweep: true });
    manager.openPublic("public:a.b", 1000);
    const auto: boolean = manager.autoSweep;
    void auto;
  }
  const closing = new Manager();
  const ended: Promise<void> = (async () => {
    for await (const e of closing.events()) void e.kind;
  })();
  closing.close();
  const closed: boolean = closing.isClosed;
  void [ended, closed];
  // @ts-expect-error: close() takes nothing and returns nothing
  const nothing: Promise<void> = closing.close();
  void nothing;
  await using store = await IdbStore.open("bytes");
  await store.push("q", new Float32Array([1.5]));
  await store.push("q", new ArrayBuffer(8));
  await store.push("q", new DataView(new ArrayBuffer(2)));
  // @ts-expect-error: payloads are bytes; encode objects yourself
  await store.push("q", { any: 1 });

  void [job, maybe, entry, b, r];
}
