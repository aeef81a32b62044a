// IdbStore as JS developers use it, in headless Chromium: any binary view goes in, `await using`
// closes the store, and it prints usefully.
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
      bad = `${e.name} ${e.code}`;
    }
    await store[Symbol.asyncDispose]();
    return { got, f32: [...new Uint8Array(f32.buffer)], printed, bad, closed: store.isClosed };
  });
  assert.deepEqual(result.got, [result.f32, [2, 1], [0, 0, 0], [8, 7]]);
  assert.equal(result.printed, 'IdbStore {"name":"views","keys":[],"isClosed":false}');
  assert.equal(result.bad, "TypeError ERR_INVALID_ARG_TYPE");
  assert.equal(result.closed, true);
  assert.deepEqual(page.errors, []);
});
