// The package in real headless Chromium (Debian's, driven by playwright-core): imported the way a
// page does (`import ... from "lindy"` through an import map), in a page and in a module worker;
// IdbStore data surviving a page reload; a real quota error.
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

test("a page imports the package like any ES module", async () => {
  const page = await chrome.newPage();
  const keys = await page.evaluate(async () =>
    Promise.all(["lindy", "lindy/ring", "lindy/channels", "lindy/store"].map(async (e) => Object.keys(await import(e)).sort())),
  );
  assert.deepEqual(keys, [
    ["LindyError", "Name", "Pattern", "Space", "SpaceKey", "init"],
    ["LindyError", "LindyIterator", "Ring", "init"],
    ["LindyError", "LindyIterator", "Manager", "PatternIndex", "StreamReader", "StreamWriter", "Streams", "init"],
    ["IdbStore", "LindyError", "init"],
  ]);
  const matched = await page.evaluate(async () => {
    const { Pattern, Space } = await import("lindy");
    const space = new Space();
    const waiting = space.take("jobs", { signal: AbortSignal.timeout(5000) });
    space.out("jobs", { id: 1 });
    return Pattern.parse("public:chat.**").matches("public:chat.rooms") && (await waiting).id === 1;
  });
  assert.equal(matched, true);
  assert.deepEqual(page.errors, []);
});

test("IdbStore data survives a page reload", async () => {
  const page = await chrome.newPage();
  const before = await page.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    await IdbStore.deleteDatabase("reload");
    const store = await IdbStore.open("reload");
    const enc = new TextEncoder();
    await Promise.all(["a", "b", "c"].map((v) => store.push("jobs", enc.encode(v))));
    await store.pull("jobs"); // "a" is delivered for good
    return store.len("jobs");
    // no close(): the reload tears the page down with the store open
  });
  assert.equal(before, 2);
  await page.reload();
  const after = await page.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    const store = await IdbStore.open("reload");
    const dec = new TextDecoder();
    const out = [store.len("jobs"), dec.decode(await store.pull("jobs")), dec.decode(await store.pull("jobs"))];
    await store.close();
    return out;
  });
  assert.deepEqual(after, [2, "b", "c"]);
});

test("an entry used before `await init()` throws NOT_INITIALIZED; after it, it works", async () => {
  const page = await chrome.newPage();
  const seen = await page.evaluate(async () => {
    // The entries that do not load their wasm by themselves (lindy/auto does; this page's
    // import map points "lindy" at it, so the plain entry is imported by path).
    const core = await import("/index.js");
    const channels = await import("/channels.js");
    const rings = await import("/ring.js");
    const outcome = (f) => {
      try {
        f();
        return "ok";
      } catch (e) {
        return `${e instanceof core.LindyError ? "LindyError" : e.name} ${e.code}: ${e.message}`;
      }
    };
    const before = [
      outcome(() => new core.Space()),
      outcome(() => new rings.Ring(2)),
      outcome(() => core.Name.parse("public:a.b")),
      outcome(() => new channels.PatternIndex()),
      outcome(() => new channels.Manager()),
      outcome(() => new channels.Streams()),
    ];
    await core.init();
    await channels.init();
    await rings.init();
    await core.init(); // idempotent
    const space = new core.Space();
    space.out("k", 1);
    const after = [
      outcome(() => new rings.Ring(2)),
      outcome(() => core.Name.parse("public:a.b")),
      outcome(() => new channels.Manager().openPublic("public:a.b")),
      String(space.tryTake("k")),
      String(new core.Space() instanceof core.Space),
    ];
    return { before, after };
  });
  assert.equal(seen.before.length, 6);
  for (const line of seen.before) assert.match(line, /^LindyError NOT_INITIALIZED: .*await init\(\)/);
  assert.match(seen.before[0], /^LindyError NOT_INITIALIZED: Space: "lindy" is not initialized/);
  assert.match(seen.before[1], /Ring: "lindy\/ring" is not initialized/);
  assert.match(seen.before[2], /Name\.parse: "lindy" is not initialized/);
  assert.match(seen.before[4], /Manager: "lindy\/channels" is not initialized/);
  assert.deepEqual(seen.after, ["ok", "ok", "ok", "1", "true"]);
});

test("IdbStore bounds: maxEntries and maxBytes refuse a push with BUFFER_FULL and write nothing", async () => {
  const page = await chrome.newPage();
  const seen = await page.evaluate(async () => {
    const { IdbStore, LindyError } = await import("lindy/store");
    const code = (p) => p.then(() => "ok", (e) => (e instanceof LindyError ? e.code : `${e}`));
    await IdbStore.deleteDatabase("bounds");
    const s = await IdbStore.open("bounds", { maxEntries: 2, maxBytes: 10 });
    const out = [];
    out.push(await code(s.push("k", new Uint8Array(4))));
    out.push(await code(s.push("k", new Uint8Array(4))));
    out.push(await code(s.push("k", new Uint8Array(1)))); // a third payload
    out.push(s.len("k"));
    await s.take("k"); // room for one more payload, 4 bytes
    out.push(await code(s.push("k", new Uint8Array(7)))); // 4 + 7 > 10 bytes
    out.push(await code(s.push("k", new Uint8Array(6)))); // 4 + 6 = 10: fits
    const leased = await s.takeLeased("k"); // a leased payload still counts
    out.push(await code(s.push("j", new Uint8Array(1))));
    await s.ack(leased.lease);
    out.push(await code(s.push("j", new Uint8Array(1))));
    out.push(await code(IdbStore.open("x", { maxEntries: 0 })));
    out.push(await code(IdbStore.open("x", { maxEntry: 1 })));
    await s.close();
    const again = await IdbStore.open("bounds");
    out.push(again.keys().map((k) => `${k}:${again.len(k)}`).join(","));
    await again.close();
    await IdbStore.deleteDatabase("bounds");
    return out;
  });
  assert.deepEqual(seen.slice(0, 8), ["ok", "ok", "BUFFER_FULL", 2, "BUFFER_FULL", "ok", "BUFFER_FULL", "ok"]);
  assert.match(seen[8], /^RangeError: .*maxEntries/);
  assert.deepEqual(seen.slice(9), ["INVALID_CONFIG", "j:1,k:1"], "what was refused was never written");
});

test("a module worker uses the package and shares IndexedDB with the page", async () => {
  const page = await chrome.newPage();
  const result = await page.evaluate(async () => {
    const src = `
      const { Name } = await import("${location.origin}/browser.js");
      const { IdbStore } = await import("${location.origin}/store.js");
      const store = await IdbStore.open("worker-db");
      await store.push("from-worker", new TextEncoder().encode(Name.parse("public:w.jobs").app));
      await store.close();
      postMessage("done");`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const worker = new Worker(new URL(url, location.href), { type: "module" });
    const msg = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    const { IdbStore } = await import("lindy/store");
    const store = await IdbStore.open("worker-db");
    const v = new TextDecoder().decode(await store.pull("from-worker"));
    await store.close();
    return [msg, v];
  });
  assert.deepEqual(result, ["done", "w"]);
});

test("a quota error is a clear IO error and nothing of the batch is written", async () => {
  const page = await chrome.newPage();
  // A real quota: Chromium's storage quota for this origin, lowered through DevTools.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: chrome.origin, quotaSize: 2 * 1024 * 1024 });
  const out = await page.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    await IdbStore.deleteDatabase("quota");
    const store = await IdbStore.open("quota", { maxValueBytes: 64 << 20 });
    await store.push("q", new Uint8Array([1]));
    const small = store.push("q", new Uint8Array([2])); // same batch as the big one
    const big = store.push("q", new Uint8Array(8 << 20));
    const errors = [];
    for (const p of [small, big]) {
      try {
        await p;
        errors.push(null);
      } catch (e) {
        errors.push({ name: e.name, code: e.code, message: e.message, cause: e.cause?.name });
      }
    }
    const len = store.len("q");
    await store.push("q", new Uint8Array([3])); // the store carries on
    await store.close();
    const again = await IdbStore.open("quota");
    const after = [];
    while (again.len("q") > 0) after.push((await again.pull("q"))[0]);
    await again.close();
    return { errors, len, after };
  });
  for (const e of out.errors) {
    assert.equal(e.name, "LindyError");
    assert.equal(e.code, "IO");
    assert.equal(e.cause, "QuotaExceededError");
    assert.match(e.message, /QuotaExceededError.*nothing from this batch was written|nothing from this batch was written.*QuotaExceededError/s);
  }
  assert.equal(out.len, 1);
  assert.deepEqual(out.after, [1, 3]);
});

test("two tabs: the second open of a database waits for the first to close, or fails with STORE_LOCKED", async () => {
  const a = await chrome.newPage();
  const b = await a.context().newPage(); // same origin, same storage: another tab
  await b.goto(`${chrome.origin}/`);
  await a.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    await IdbStore.deleteDatabase("two-tabs");
    globalThis.store = await IdbStore.open("two-tabs");
    await globalThis.store.push("q", new Uint8Array([1]));
  });
  const locked = await b.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    try {
      await IdbStore.open("two-tabs", { lockTimeoutMs: 0 });
      return "opened";
    } catch (e) {
      return e.code;
    }
  });
  assert.equal(locked, "STORE_LOCKED");
  // B waits; A pushes once more and closes; B gets the database with both entries.
  const waiting = b.evaluate(async () => {
    const { IdbStore } = await import("lindy/store");
    const store = await IdbStore.open("two-tabs");
    await store.push("q", new Uint8Array([9]));
    const got = [];
    while (store.len("q") > 0) got.push((await store.pull("q"))[0]);
    await store.close();
    return got;
  });
  await a.evaluate(async () => {
    await globalThis.store.push("q", new Uint8Array([2]));
    await globalThis.store.close();
  });
  assert.deepEqual(await waiting, [1, 2, 9]);
});
