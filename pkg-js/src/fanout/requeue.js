// Putting an entry back at the HEAD of its key.
//
// The reliable-queue pattern needs a returned job to be the next one handed out, not the last:
// a job that was in flight when its worker died has waited longest. The space's public API only
// appends (`out`), so unless the space offers a front insert (`outFront`, used when present) we
// drain the key, append the returned entry, and append the drained entries after it — all in one
// synchronous run on the thread that owns the space, so no other operation can interleave.
//
// Why this is correct with waiting takers: a key with entries has no waiting takers (a taker only
// waits on an empty key), so the drain/refill sees no waiter; an empty key is not drained at all,
// and `out` hands the returned entry to the first waiter, which is the head by definition.
// Cost: O(entries under the key). Returns are the failure path (nack, expiry, a dead worker).

/** Sentinel for "the space had nothing" regardless of how the space reports emptiness. */
const NOTHING = Symbol("nothing");

/** `space.tryTake(key)` normalised: the wasm Space returns `undefined` when the key is empty. */
function tryTake(space, key) {
  const v = space.tryTake(key);
  return v === undefined ? NOTHING : v;
}

/**
 * Puts `value` back at the head of `key` in `space`. If the space refuses (it was closed), throws
 * the space's error with every entry that could not be put back listed in `err.values` (the
 * returned one first), so the caller can hand them on: nothing is dropped silently.
 */
export function putFront(space, key, value) {
  if (typeof space.outFront === "function") {
    space.outFront(key, value);
    return;
  }
  const drained = [];
  if (typeof space.takeMany === "function") {
    // One call per chunk instead of one per entry.
    for (let chunk = space.takeMany(key, 65_536); chunk.length > 0; chunk = space.takeMany(key, 65_536)) {
      for (const v of chunk) drained.push(v);
    }
  } else {
    for (let v = tryTake(space, key); v !== NOTHING; v = tryTake(space, key)) drained.push(v);
  }
  const homeless = [];
  let failure;
  for (const v of [value, ...drained]) {
    try {
      space.out(key, v);
    } catch (err) {
      failure ??= err;
      homeless.push(v);
    }
  }
  if (failure) {
    const err = failure instanceof Error ? failure : new Error(String(failure));
    err.values = homeless;
    throw err;
  }
}
