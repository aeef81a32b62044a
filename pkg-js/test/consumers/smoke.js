// What every consumer runs, in a page, a worker or Node, with every entry of the package: `lindy`
// (hand a value through a waiting take; a bad name fails with a coded LindyError),
// `lindy/channels` (a Manager opens a channel, a stream carries a message), `lindy/store` (an
// IdbStore round trip where there is IndexedDB; a coded IO error where there is none, as in Node)
// and `lindy/ring` (a waiting take on a Ring, then a coded CLOSED push).
export async function smoke(lindy, channels, store, ring) {
  const { init, LindyError, Name, Space } = lindy;
  await init();
  const space = new Space();
  const waiting = space.take("jobs");
  space.out("jobs", { id: 7 });
  const job = await waiting;
  let code = "no error";
  try {
    Name.parse("not a channel");
  } catch (e) {
    code = e instanceof LindyError ? e.code : `not a LindyError: ${e}`;
  }
  return `job ${job.id}, ${code}, ${await smokeChannels(channels)}, ${await smokeStore(store)}, ${await smokeRing(ring)}`;
}

async function smokeRing({ init, Ring, LindyError }) {
  await init();
  const ring = new Ring(2);
  const waiting = ring.take();
  ring.tryPush(4);
  const value = await waiting;
  ring.close();
  let code = "no error";
  try {
    ring.tryPush(5);
  } catch (e) {
    code = e instanceof LindyError ? e.code : `not a LindyError: ${e}`;
  }
  return `ring ${value}, ${code}`;
}

async function smokeChannels({ init, Manager, Streams, LindyError }) {
  await init();
  const manager = new Manager();
  manager.openPublic("public:smoke.rooms", 1000);
  const hub = new Streams();
  const reader = hub.reader("smoke/a");
  const writer = hub.writer("smoke/a");
  await writer.write(new Uint8Array([3]));
  const msg = await reader.recv();
  let code = "no error";
  try {
    manager.get("public:smoke.none");
  } catch (e) {
    code = e instanceof LindyError ? e.code : `not a LindyError: ${e}`;
  }
  return `${manager.size} channel, message ${msg[0]}, ${code}`;
}

async function smokeStore({ IdbStore, LindyError }) {
  // IdbStore.open loads the store's wasm by itself: no init() here on purpose.
  const db = `smoke-${Math.random().toString(36).slice(2)}`;
  if (!globalThis.indexedDB) {
    return IdbStore.open(db).then(
      () => "store: opened without IndexedDB?",
      (e) => (e instanceof LindyError && e.code === "IO" ? "store ok" : `store: ${e}`),
    );
  }
  const s = await IdbStore.open(db);
  await s.push("k", new Uint8Array([5]));
  const v = await s.take("k");
  await s.close();
  await IdbStore.deleteDatabase(db);
  return v[0] === 5 ? "store ok" : `store: got ${v}`;
}

export const EXPECTED = "job 7, CHANNEL_INVALID, 1 channel, message 3, CHANNEL_NOT_FOUND, store ok, ring 4, CLOSED";

// Pages report through `globalThis.__result` (the test polls it).
export function report(promise) {
  promise.then(
    (value) => (globalThis.__result = { ok: true, value }),
    (e) => (globalThis.__result = { ok: false, error: `${e?.stack ?? e}` }),
  );
}

// The page's half of every browser consumer: a Space the worker reaches with wrap() (the worker
// runs smoke() on its own copy of the package and puts the outcome in the page's space).
export function shareWithWorker(lindy, expose, worker) {
  return lindy.init().then(() => {
    const space = new lindy.Space();
    expose(space, worker); // after an await: the handshake does not mind who starts first
    return space.take("result", { timeoutMs: 15_000 });
  });
}

// The worker's half.
export function answer(lindy, wrap, channels, store, ring) {
  const space = wrap();
  smoke(lindy, channels, store, ring).then(
    (value) => space.out("result", value),
    (e) => space.out("result", `failed: ${e?.stack ?? e}`),
  );
}
