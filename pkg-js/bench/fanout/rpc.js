// The baseline: Comlink-style RPC, one postMessage round trip per operation.
// This is what hand-rolled worker code (or Comlink's `wrap`/`expose`) does: every call is its own
// message with an id, every answer its own message back. No batching, no leases.

/** Exposes `target`'s methods on `port`. */
export function expose(target, port) {
  port.addEventListener("message", async (e) => {
    const { id, m, a } = e.data;
    try {
      port.postMessage({ id, r: await target[m](...a) });
    } catch (err) {
      port.postMessage({ id, e: String(err?.message ?? err) });
    }
  });
  port.start();
}

/** A proxy whose every method call is one round trip. */
export function wrap(port) {
  let next = 1;
  const calls = new Map();
  port.addEventListener("message", (e) => {
    const { id, r, e: err } = e.data;
    const call = calls.get(id);
    calls.delete(id);
    if (err !== undefined) call.reject(new Error(err));
    else call.resolve(r);
  });
  port.start();
  return new Proxy(
    {},
    {
      get: (_, m) => (...a) =>
        new Promise((resolve, reject) => {
          const id = next++;
          calls.set(id, { resolve, reject });
          port.postMessage({ id, m, a });
        }),
    },
  );
}
