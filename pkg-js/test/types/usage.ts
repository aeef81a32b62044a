// Compiled by test/package.test.mjs with `tsc --noEmit`: the calls below must type-check and the
// `@ts-expect-error` lines must fail to, so the published types are real, not `any`.
import { IdbStore, Name, Pattern, PatternIndex } from "lindy";
import type { IdbStoreOptions, LindyError, LindyErrorCode, WaitOptions } from "lindy";

export async function usage(): Promise<void> {
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

  try {
    Name.parse("bad");
  } catch (e) {
    const err = e as LindyError;
    const code: LindyErrorCode = err.code;
    void code;
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

  void [v, maybe, n, keys, vis, id, ok, sub, hits, s, bad];
}
