// The calls a fan-out client has in flight, by wire id.
//
// A slot table with a free list: opening a call reuses a record and allocates nothing, where a
// `Map` keyed by ever-growing ids rehashes into a new table every few hundred calls (garbage on
// the hot path: measured, pkg-js/bench/fanout). A wire id is `round * SLOTS + slot`: the slot
// finds the record, the round tells a stale id (an earlier call of the same slot) from the live
// one, so an id is never mistaken for another even though its record is reused.
//
// Private to this folder.

/** At most this many calls in flight per client (records are reused; the table never shrinks). */
export const MAX_CALLS = 2 ** 24;
// Rounds wrap here so that ids stay below 2^52: exact in a Float64Array cell.
const ROUNDS = 2 ** 28;

/** One call in flight. Fields are cleared when it ends, so a free record retains nothing. */
export class Call {
  /** Wire id (0 while the record is free). */
  id = 0;
  /** Operation code (protocol.js `Op`). */
  code = 0;
  /** The key (or pattern) it was called with, `null` when none. */
  key = null;
  /** The first numeric argument (a lease id for ack/nack). */
  a = NaN;
  /** The caller gave up (aborted) while the hub still worked on it. */
  abandoned = false;
  resolve = undefined;
  reject = undefined;
  /** Removes the abort listener, if any. */
  off = undefined;
}

export class CallTable {
  /** Calls in flight. */
  size = 0;
  #slots = [];
  #free = [];
  #round = 1;

  /** A record for a new call with a fresh `id`, or `undefined` when MAX_CALLS are in flight. */
  open() {
    let slot = this.#free.pop();
    let call;
    if (slot === undefined) {
      slot = this.#slots.length;
      if (slot >= MAX_CALLS) return undefined;
      call = new Call();
      this.#slots.push(call);
    } else {
      call = this.#slots[slot];
    }
    call.id = this.#round * MAX_CALLS + slot;
    this.#round = this.#round + 1 === ROUNDS ? 1 : this.#round + 1;
    this.size++;
    return call;
  }

  /** The live call with wire id `id`, or `undefined`. */
  get(id) {
    const call = this.#slots[id % MAX_CALLS];
    return call !== undefined && call.id === id && id !== 0 ? call : undefined;
  }

  /** Ends `call` (live): its record is cleared and goes back to the free list. */
  close(call) {
    this.#free.push(call.id % MAX_CALLS);
    call.id = 0;
    call.key = null;
    call.abandoned = false;
    call.resolve = undefined;
    call.reject = undefined;
    call.off = undefined;
    this.size--;
  }

  /** The live calls (a snapshot). */
  live() {
    return this.#slots.filter((call) => call.id !== 0);
  }
}
