// Leases: entries handed to a worker that come back unless the worker acknowledges them.
//
// This is the reliable-queue pattern (Redis RPOPLPUSH + a processing list; SQS visibility
// timeouts): `takeLeased` moves an entry out of the space into this table instead of handing it
// away for good. `ack` drops it (done); `nack`, lease expiry, or the death of the worker's
// connection put it back at the HEAD of its key, so the next taker gets it first.
// Delivery is therefore at-least-once: a worker that finishes a job but dies before its ack
// causes the job to run again — make jobs idempotent, or record completion with the ack.

import { Code, LindyError } from "./protocol.js";
import { putFront } from "./requeue.js";
import { unrefTimer } from "./protocol.js";

/** Default lease length when the caller does not pass `leaseMs`. */
export const DEFAULT_LEASE_MS = 30_000;
/** Longest lease a client may ask for (a day), so a typo cannot park a job forever. */
export const MAX_LEASE_MS = 86_400_000;

/**
 * The leases granted over one connection.
 *
 * `onReturn(lease, reason)` is called after a lease's entry went back to the space
 * (`reason` is `"nack"`, `"expired"` or the connection's close reason); `onOrphan(values, err)`
 * when the space refused them (it was closed): the values are handed over, never dropped.
 */
export class LeaseTable {
  #space;
  #leases = new Map();
  #nextId = 1;
  #onReturn;
  #onOrphan;
  #onExpire;

  /**
   * @param {{out: Function, tryTake: Function}} space
   * @param {{onReturn?: Function, onOrphan?: Function, onExpire?: Function}} [hooks]
   */
  constructor(space, hooks = {}) {
    this.#space = space;
    this.#onReturn = hooks.onReturn ?? (() => {});
    this.#onOrphan = hooks.onOrphan ?? (() => {});
    this.#onExpire = hooks.onExpire ?? (() => {});
  }

  /** Number of entries currently leased out. */
  get size() {
    return this.#leases.size;
  }

  /** The leases currently out, oldest first (a snapshot). */
  list() {
    return [...this.#leases.values()].map(({ id, key, value, deadline }) => ({ id, key, value, deadline }));
  }

  /** Records `value` (already taken from `key`) as leased for `leaseMs`; returns the lease id. */
  grant(key, value, leaseMs) {
    const id = this.#nextId++;
    const lease = { id, key, value, deadline: Date.now() + leaseMs, timer: undefined };
    lease.timer = unrefTimer(setTimeout(() => this.#expire(id), leaseMs));
    this.#leases.set(id, lease);
    return lease;
  }

  /** Acknowledges lease `id`: the entry is done and dropped. Throws `LEASE_LOST` if it was taken back. */
  ack(id) {
    const lease = this.#claim(id, "ack");
    return lease;
  }

  /** Gives lease `id` up: its entry goes back to the head of its key now. */
  nack(id) {
    const lease = this.#claim(id, "nack");
    this.#putBack(lease, "nack");
    return lease;
  }

  /** Extends lease `id` to `leaseMs` from now. Throws `LEASE_LOST` if it was taken back. */
  extend(id, leaseMs) {
    const lease = this.#leases.get(id);
    if (!lease) throw lost(id, "extend");
    clearTimeout(lease.timer);
    lease.deadline = Date.now() + leaseMs;
    lease.timer = unrefTimer(setTimeout(() => this.#expire(id), leaseMs));
    return lease;
  }

  /** Puts every outstanding entry back at the head of its key (newest first, so order is kept). */
  returnAll(reason) {
    const leases = [...this.#leases.values()];
    this.#leases.clear();
    // Returning newest first leaves the oldest at the very head: the original order is restored.
    for (let i = leases.length - 1; i >= 0; i--) {
      clearTimeout(leases[i].timer);
      this.#putBack(leases[i], reason);
    }
    return leases.length;
  }

  #claim(id, what) {
    const lease = this.#leases.get(id);
    if (!lease) throw lost(id, what);
    this.#leases.delete(id);
    clearTimeout(lease.timer);
    return lease;
  }

  #expire(id) {
    const lease = this.#leases.get(id);
    if (!lease) return;
    this.#leases.delete(id);
    this.#putBack(lease, "expired");
    this.#onExpire(lease);
  }

  #putBack(lease, reason) {
    try {
      putFront(this.#space, lease.key, lease.value);
    } catch (err) {
      this.#onOrphan(lease, err.values ?? [lease.value], err);
      return;
    }
    this.#onReturn(lease, reason);
  }
}

function lost(id, what) {
  return new LindyError(
    Code.LEASE_LOST,
    `${what}(lease ${id}): the lease is not held any more (it expired, was nacked, or its entry was returned to the head of its key)`,
  );
}
