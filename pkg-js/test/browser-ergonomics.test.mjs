// IdbStore as JS developers use it, in headless Chromium: any binary view goes in, `await using`
// closes the store, it prints usefully, its options and waits behave as every other lindy call's,
// and a key too long is refused before it is copied into wasm memory.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startBrowser } from "./support/browser.mjs";

let chrome;
before(async () => {
  chrome = await startBrowser();
});
after(async () => {
  await chrome?.close();
});

test("IdbStore.push takes any ArrayBufferView or ArrayBuffer; asyncDispose closes", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    await IdbStore.deleteDatabase("views");
    const store = await IdbStore.open("views");
    const f32 = new Float32Array([1.5, -2]);
    const window = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 3); // a view into a larger buffer
    await store.push("q", f32);
    await store.push("q", new DataView(new Uint16Array([0x0102]).buffer));
    await store.push("q", new ArrayBuffer(3));
    await store.push("q", window);
    const got = [];
    for (let i = 0; i < 4; i++) got.push([...(await store.pull("q"))]);
    const printed = String(store);
    let bad;
    try {
      await store.push("q", { not: "bytes" });
    } catch (e) {
      bad = `${e.name} ${e.code} ${e.message}`;
    }
    await store[Symbol.asyncDispose]();
    return { got, f32: [...new Uint8Array(f32.buffer)], printed, bad, closed: store.isClosed };
  });
  assert.deepEqual(result.got, [result.f32, [2, 1], [0, 0, 0], [8, 7]]);
  assert.equal(result.printed, 'IdbStore {"name":"views","keys":[],"isClosed":false}');
  assert.match(result.bad, /^TypeError ERR_INVALID_ARG_TYPE IdbStore\.push\("q", value\): value must be an ArrayBuffer, a typed array or a DataView, got object/);
  assert.equal(result.closed, true);
  assert.deepEqual(page.errors, []);
});

test("IdbStore.push takes every typed array kind, byte for byte", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    await IdbStore.deleteDatabase("kinds");
    const store = await IdbStore.open("kinds");
    const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
    const out = [];
    for (const Kind of kinds) {
      const source = new Kind(3).fill(Kind.name.startsWith("Big") ? 7n : 7);
      const view = new Kind(source.buffer, Kind.BYTES_PER_ELEMENT, 2); // an offset view: only its bytes
      await store.push("q", view);
      const got = await store.take("q");
      const want = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      out.push([Kind.name, got.length === want.length && got.every((b, i) => b === want[i])]);
    }
    await store.close();
    return out;
  });
  for (const [kind, same] of result) assert.equal(same, true, kind);
  assert.equal(result.length, 11);
});

test("IdbStore: unknown options, AbortSignal.timeout(), timeoutMs: Infinity and over-long keys as everywhere else", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const { IdbStore, LindyError } = await import("lindy/store");
    const { __memoryBytes } = await import("/dist/store.js");
    await IdbStore.deleteDatabase("audit");
    const store = await IdbStore.open("audit");
    const outcome = (p) =>
      Promise.race([p, new Promise((r) => setTimeout(r, 40, "still waiting"))]).then(
        (v) => (v === "still waiting" ? v : "resolved"),
        (e) => `${e instanceof LindyError ? "LindyError" : e.name} ${e.code} ${e.message}`,
      );
    const options = {
      open: await outcome(IdbStore.open("audit-2", { maxKeyByte: 5 })),
      take: await outcome(store.take("k", { timeoutMillis: 5 })),
      takeLeased: await outcome(store.takeLeased("k", { lease: 5 })),
    };
    const timeouts = {
      take: await outcome(store.take("k", { signal: AbortSignal.timeout(5) })),
      takeLeased: await outcome(store.takeLeased("k", { signal: AbortSignal.timeout(5) })),
      infinity: await outcome(store.take("k", { timeoutMs: Infinity })),
    };
    const before = __memoryBytes();
    const huge = "k".repeat(32 << 20);
    const keys = {
      push: await outcome(store.push(huge, new Uint8Array(1))),
      take: await outcome(store.take(huge)),
      tryTake: await outcome(store.tryTake(huge)),
      peek: await outcome((async () => store.peek(huge))()),
      len: await outcome((async () => store.len(huge))()),
    };
    const dbNames = {
      open: await outcome(IdbStore.open(huge)),
      deleteDatabase: await outcome(IdbStore.deleteDatabase(huge)),
    };
    const grown = __memoryBytes() - before;
    await store.push("k", new Uint8Array([1])); // the waiting take (timeoutMs: Infinity) gets it
    await store.close();
    return { options, timeouts, keys, dbNames, grown };
  });
  for (const [call, got] of Object.entries(result.options)) {
    assert.match(got, /^LindyError INVALID_CONFIG /, `${call}: ${got}`);
  }
  assert.match(result.timeouts.take, /^LindyError TIMEOUT /);
  assert.match(result.timeouts.takeLeased, /^LindyError TIMEOUT /);
  assert.equal(result.timeouts.infinity, "still waiting");
  for (const [call, got] of Object.entries(result.keys)) {
    assert.match(got, new RegExp(`^LindyError KEY_INVALID IdbStore\\.\\w+: key is at least ${32 << 20} bytes long`), `${call}: ${got}`);
  }
  for (const [call, got] of Object.entries(result.dbNames)) {
    assert.match(got, new RegExp(`^LindyError INVALID_CONFIG IdbStore\\.${call}: dbName is ${32 << 20} characters long; at most 1024`), `${call}: ${got}`);
  }
  assert.equal(result.grown, 0, "no key or database name was copied into wasm memory");
});

test("a failed init() is a coded IO error with its cause, and a later init() still loads", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const channels = await import("/channels.js"); // the plain entry: nothing loaded yet
    const failures = [];
    for (const source of [new URL("/no-such.wasm", location.href), new Uint8Array([0, 1, 2, 3])]) {
      try {
        await channels.init(source);
        failures.push("loaded?");
      } catch (e) {
        failures.push(`${e instanceof channels.LindyError} ${e.code} ${e.cause ? e.cause.name : "no cause"} ${e.message}`);
      }
    }
    await channels.init();
    return { failures, works: new channels.Manager().size };
  });
  assert.equal(result.failures.length, 2);
  for (const f of result.failures) assert.match(f, /^true IO \w+ init \("lindy\/channels"\): could not load its wasm \(channels_bg\.wasm\)/);
  assert.equal(result.works, 0, "init() after a failure loads the wasm");
});
