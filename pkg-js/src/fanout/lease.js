// Which of the space's leases one hub connection holds.
//
// The leases themselves live in the space's engine (`space.takeLeased`, `ack`, `nack`, `extend`):
// an entry out on lease stays in the engine until acknowledged, and a returned one goes back to
// the head of its key with its original age and its delivery count (O(1): no draining, no
// re-stamping, so `takeMatching` keeps serving the oldest entry first). This table only records
// which leases this connection's client holds, so that they can be returned when the client
// goes away, listed, and reported as lost when they run out.
//
// Delivery is at-least-once: a worker that finishes a job but dies before its ack causes the job
// to run again — make jobs idempotent, or record completion with the ack.

import { Code, LindyError, unrefTimer } from "./protocol.js";

/** Default lease length when the caller does not pass `leaseMs`. */
export const DEFAULT_LEASE_MS = 30_000;
/** Longest lease a client may ask for (a day), so a typo cannot park a job forever. */
export const MAX_LEASE_MS = 86_400_000;

/**
 * The leases one connection holds over `space` (a lindy `Space`).
 *
 * `onReturn(lease, reason)` is called after a lease's entry went back to the space (`reason` is
 * `"nack"`, `"expired"` or the connection's close reason); `onExpire(lease)` when it ran out.
 */
export class HeldLeases {
  #space;
  #held = new Map();
  #onReturn;
  #onExpire;

  /**
   * @param {import("../space.js").Space} space
   * @param {{onReturn?: Function, onExpire?: Function}} [hooks]
   */
  constructor(space, hooks = {}) {
    this.#space = space;
    this.#onReturn = hooks.onReturn ?? (() => {});
    this.#onExpire = hooks.onExpire ?? (() => {});
  }

  /** Number of entries this connection holds on lease. */
  get size() {
    return this.#held.size;
  }

  /** The leases held, oldest first (a snapshot). */
  list() {
    return [...this.#held.values()].map(({ id, key, value, deadline, deliveries }) => ({ id, key, value, deadline, deliveries }));
  }

  /** Records `leased` (what `space.takeLeased` resolved with) as held under `key`. */
  hold(key, leased) {
    const lease = { id: leased.lease, key, value: leased.value, deadline: leased.deadline, deliveries: leased.deliveries, timer: undefined };
    lease.timer = this.#timer(lease);
    this.#held.set(lease.id, lease);
    return lease;
  }

  /** Acknowledges lease `id`: done, it leaves the space. Throws `LEASE_LOST`. */
  ack(id) {
    const lease = this.#claim(id, "ack");
    this.#space.ack(id);
    return lease;
  }

  /** Gives lease `id` up: back to the head of its key now, age kept. Throws `LEASE_LOST`. */
  nack(id) {
    const lease = this.#claim(id, "nack");
    this.#space.nack(id);
    this.#onReturn(lease, "nack");
    return lease;
  }

  /** Extends lease `id` to `leaseMs` from now. Throws `LEASE_LOST`. */
  extend(id, leaseMs) {
    const lease = this.#held.get(id);
    if (!lease) throw lost(id, "extend");
    lease.deadline = this.#space.extend(id, leaseMs);
    clearTimeout(lease.timer);
    lease.timer = this.#timer(lease);
    return lease;
  }

  /** Returns every lease held (age kept, so their order comes back by itself); how many. */
  returnAll(reason) {
    // Newest first: each returned entry then goes straight to the head (O(1) in the engine).
    const leases = [...this.#held.values()].reverse();
    this.#held.clear();
    for (const lease of leases) {
      clearTimeout(lease.timer);
      try {
        this.#space.nack(lease.id);
      } catch {
        continue; // it had just expired in the engine: already back
      }
      this.#onReturn(lease, reason);
    }
    return leases.length;
  }

  #claim(id, what) {
    const lease = this.#held.get(id);
    if (!lease) throw lost(id, what);
    this.#held.delete(id);
    clearTimeout(lease.timer);
    return lease;
  }

  // At the deadline the engine returns the entry by itself (the space's own timer); returning it
  // here first is the same operation, so whichever runs first wins and the other is a no-op.
  #timer(lease) {
    return unrefTimer(
      setTimeout(() => {
        if (this.#held.get(lease.id) !== lease) return;
        this.#held.delete(lease.id);
        try {
          this.#space.nack(lease.id);
        } catch {
          // Already expired in the engine: the entry is back at the head either way.
        }
        this.#onReturn(lease, "expired");
        this.#onExpire(lease);
      }, Math.max(0, lease.deadline - Date.now())),
    );
  }
}

function lost(id, what) {
  return new LindyError(
    Code.LEASE_LOST,
    `${what}(lease ${id}): the lease is not held any more (it expired, was nacked, or its entry was returned to the head of its key)`,
  );
}
