// IndexedDB: N pushes then N pulls of 128-byte payloads, in the page. Every case uses a fresh
// database and the same payloads; the figure is (2 N) operations / elapsed time, median of rounds.
// Runs inside headless Chromium (page.evaluate), so it only uses browser APIs and imports.
export async function idbBench({ n, rounds }) {
  const { IdbStore } = await import("lindy/store");
  const keyval = await import("idb-keyval");
  const payload = new Uint8Array(128).fill(7);

  const fresh = async (name) =>
    new Promise((resolve, reject) => {
      const r = indexedDB.deleteDatabase(name);
      r.onsuccess = resolve;
      r.onerror = () => reject(r.error);
    });

  const lindyTogether = (durability) => async (name) => {
    const store = await IdbStore.open(name, { durability });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => store.push("q", payload)));
    const pulled = await Promise.all(Array.from({ length: n }, () => store.pull("q")));
    const t1 = performance.now();
    if (pulled.length !== n || store.len("q") !== 0) throw new Error("lindy lost entries");
    await store.close();
    return t1 - t0;
  };

  const lindyOneByOne = async (name) => {
    const store = await IdbStore.open(name);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await store.push("q", payload);
    for (let i = 0; i < n; i++) await store.pull("q");
    const t1 = performance.now();
    await store.close();
    return t1 - t0;
  };

  // idb-keyval: `set` per push and `del` per pull, each its own transaction (the way it is used).
  const idbKeyval = async (name) => {
    const kv = keyval.createStore(name, "kv");
    await keyval.get("warm-up", kv);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => keyval.set(i, payload, kv)));
    await Promise.all(Array.from({ length: n }, (_, i) => keyval.del(i, kv)));
    const t1 = performance.now();
    // idb-keyval keeps its connection open for the page's life: close it so the next round can
    // delete the database.
    await kv("readonly", (store) => store.transaction.db.close());
    return t1 - t0;
  };

  // The floor: one hand-written readwrite transaction for all puts, one for all deletes.
  const handBatched = (durability, rangeDelete = false) => async (name) => {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore("log");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const batch = (fill) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction("log", "readwrite", { durability });
        fill(tx.objectStore("log"));
        tx.oncomplete = resolve;
        tx.onabort = () => reject(tx.error);
      });
    const t0 = performance.now();
    await batch((s) => {
      for (let i = 0; i < n; i++) s.put(payload, i);
    });
    await batch((s) => {
      if (rangeDelete) s.delete(IDBKeyRange.bound(0, n - 1));
      else for (let i = 0; i < n; i++) s.delete(i);
    });
    const t1 = performance.now();
    db.close();
    return t1 - t0;
  };

  const cases = [
    ["lindy IdbStore, strict, issued together", lindyTogether("strict")],
    ["lindy IdbStore, relaxed, issued together", lindyTogether("relaxed")],
    ["idb-keyval set/del (a transaction per call)", idbKeyval],
    ["hand-written: 1 transaction of puts + 1 of deletes, strict", handBatched("strict")],
    ["hand-written: 1 transaction of puts + 1 of deletes, relaxed", handBatched("relaxed")],
    ["hand-written: 1 transaction of puts + 1 range delete, strict", handBatched("strict", true)],
    ["lindy IdbStore, strict, each call awaited", lindyOneByOne],
  ];
  const results = [];
  for (const [label, run] of cases) {
    const times = [];
    for (let r = 0; r < rounds; r++) {
      const name = `bench-${results.length}-${r}`;
      await fresh(name);
      times.push(await run(name));
      await fresh(name);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    results.push({ label, opsPerSec: (2 * n) / (ms / 1000), ms });
  }
  return results;
}
