// The hub: serves a Space that lives on this thread to one client on the other end of a port.
//
//   main thread                              worker
//   ┌──────────────┐   one message / batch   ┌──────────────┐
//   │ Space (wasm) │◄── serve(space, port) ──┤ connect(port)│  same Space API, as Promises
//   │ leases       │───── results batch ────►│ leases       │
//   └──────────────┘                         └──────────────┘
//
// Call `serve` once per worker port; every connection shares the one space. A connection owns
// the leases its client holds and the waits it started: when the client goes away — it said bye,
// its port closed, its heartbeat stopped, or the Web Lock it held for its lifetime was released
// (the browser releases a dead worker's locks) — pending waits are cancelled (nothing is taken) and
// leased entries go back to the head of their keys.

import {
  Code,
  LindyError,
  Op,
  collectTransferables,
  listen,
  toWire,
  unrefTimer,
} from "./protocol.js";
import { DEFAULT_LEASE_MS, LeaseTable, MAX_LEASE_MS } from "./lease.js";
import { putFront } from "./requeue.js";

/** How long a client may stay silent (no operation, no ping) before it is declared dead. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

/**
 * Serves `space` to the client at the other end of `port`.
 *
 * @param {object} space a `Space` (the wasm package's, or anything with the same methods)
 * @param {MessagePort} port
 * @param {object} [opts]
 * @param {number} [opts.defaultLeaseMs] lease length when the client passes none (30 s)
 * @param {number} [opts.heartbeatTimeoutMs] silence that counts as death; 0 disables (10 s)
 * @param {LockManager|null} [opts.locks] Web Locks used to learn of the client's death
 *   (`navigator.locks` by default; `null` to disable)
 * @param {(pattern: string) => unknown} [opts.parsePattern] turns a pattern string from the wire
 *   into what `space.takeMatching` accepts (default: pass the string)
 * @param {(event: object) => void} [opts.onEvent] observes connect / lease / ack / return / orphan /
 *   disconnect events (the demo draws from these)
 * @returns {Connection}
 */
export function serve(space, port, opts = {}) {
  return new Connection(space, port, opts);
}

/** One served client. */
export class Connection {
  /** The client's id once it said hello (`null` before). */
  clientId = null;
  /** Why the connection closed (`null` while open). */
  closeReason = null;
  /** Counters: messages in and out, operations run. */
  stats = { messagesIn: 0, messagesOut: 0, ops: 0 };

  #space;
  #port;
  #opts;
  #leases;
  #pending = new Map(); // op id -> AbortController of a wait in progress
  #results = [];
  #undo = []; // per result: how to put a taken value back if it cannot be delivered
  #lost = [];
  #transfer = new Set();
  #scheduled = false;
  #lastSeen = Date.now();
  #life = new AbortController();
  #unlisten = [];
  #watchdog;
  #onEvent;

  constructor(space, port, opts) {
    if (!space || typeof space.take !== "function" || typeof space.out !== "function") {
      throw new TypeError("serve(space, port): space must be a Space (needs take/out/tryTake)");
    }
    if (!port || typeof port.postMessage !== "function") {
      throw new TypeError("serve(space, port): port must be a MessagePort");
    }
    this.#space = space;
    this.#port = port;
    this.#opts = {
      defaultLeaseMs: opts.defaultLeaseMs ?? DEFAULT_LEASE_MS,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      locks: opts.locks === undefined ? globalThis.navigator?.locks ?? null : opts.locks,
      parsePattern: opts.parsePattern ?? ((p) => p),
    };
    checkPositive(this.#opts.defaultLeaseMs, "defaultLeaseMs");
    if (!(this.#opts.heartbeatTimeoutMs >= 0)) {
      throw new RangeError("serve: heartbeatTimeoutMs must be >= 0 (0 disables the heartbeat check)");
    }
    this.#onEvent = opts.onEvent ?? (() => {});
    this.#leases = new LeaseTable(space, {
      onReturn: (lease, reason) => this.#emit({ type: "return", leaseId: lease.id, key: lease.key, value: lease.value, reason }),
      onOrphan: (lease, values, error) => this.#emit({ type: "orphan", leaseId: lease.id, key: lease.key, values, error }),
      onExpire: (lease) => this.#loseLease(lease.id),
    });

    this.#unlisten.push(listen(port, "message", (e) => this.#onMessage(e.data ?? e)));
    // `close` fires on Node ports and, where supported, on browser MessagePorts.
    this.#unlisten.push(listen(port, "close", () => this.close("port-closed")));
    port.start?.();

    const hb = this.#opts.heartbeatTimeoutMs;
    if (hb > 0) {
      this.#watchdog = unrefTimer(
        setInterval(() => {
          if (Date.now() - this.#lastSeen > hb) this.close("heartbeat-lost");
        }, Math.max(10, Math.floor(hb / 4))),
      );
    }
  }

  /** True until the connection closed. */
  get open() {
    return this.closeReason === null;
  }

  /** Entries currently leased to this client. */
  get leased() {
    return this.#leases.size;
  }

  /** Snapshot of the leases this client holds. */
  leases() {
    return this.#leases.list();
  }

  /**
   * Ends the connection: pending waits are cancelled (nothing taken), every leased entry goes back
   * to the head of its key, the client's pending calls reject with `CLOSED`. Idempotent.
   */
  close(reason = "closed-by-hub") {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    clearInterval(this.#watchdog);
    this.#life.abort();
    for (const ctl of this.#pending.values()) ctl.abort();
    this.#pending.clear();
    // Results not yet posted would land in a port nobody reads: put their entries back instead,
    // newest first, then the outstanding leases (also newest first), so the oldest ends at the head.
    const undo = this.#undo;
    this.#results = [];
    this.#undo = [];
    this.#lost = [];
    this.#transfer = new Set();
    for (let i = undo.length - 1; i >= 0; i--) this.#undoOne(undo[i], null);
    const returned = this.#leases.returnAll(reason);
    if (reason !== "port-closed") {
      try {
        this.#port.postMessage({ t: "bye", reason });
      } catch {
        // The port is already unusable; the client learns from its own side.
      }
    }
    for (const off of this.#unlisten) off();
    this.#port.close?.();
    this.#emit({ type: "disconnect", reason, returned });
  }

  #emit(event) {
    event.clientId = this.clientId;
    try {
      this.#onEvent(event);
    } catch (err) {
      // An observer's bug must not break delivery.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #onMessage(msg) {
    if (this.closeReason !== null || !msg || typeof msg !== "object") return;
    this.#lastSeen = Date.now();
    this.stats.messagesIn++;
    switch (msg.t) {
      case "b":
        for (const op of msg.o) this.#run(op);
        break;
      case "hello":
        this.clientId = String(msg.clientId);
        this.#emit({ type: "connect" });
        if (typeof msg.lock === "string") this.#watchLock(msg.lock);
        break;
      case "bye":
        this.close("client-disconnected");
        break;
      case "ping":
        break;
      default:
        break;
    }
  }

  // The client holds a Web Lock named `lock` for as long as it lives; the browser releases it when
  // the worker is terminated or crashes. Our request for it is granted exactly then.
  #watchLock(lock) {
    const locks = this.#opts.locks;
    if (!locks) return;
    locks
      .request(lock, { signal: this.#life.signal }, () => {
        this.close("lock-released");
      })
      .catch(() => {
        // Aborted because we closed first: nothing to do.
      });
  }

  #run(op) {
    this.stats.ops++;
    const id = op[0];
    try {
      switch (op[1]) {
        case Op.out:
          this.#space.out(op[2], op[3]);
          return this.#reply(id, undefined);
        case Op.tryTake: {
          const v = this.#space.tryTake(op[2]);
          return this.#replyTaken(id, op[2], v, op[3]);
        }
        case Op.tryRead:
          return this.#reply(id, this.#space.tryRead(op[2]));
        case Op.len:
          return this.#reply(id, this.#space.len(op[2]));
        case Op.close:
          return this.#reply(id, this.#space.close());
        case Op.take:
          return this.#wait(id, this.#space.take(op[2], this.#waitOpts(id, op[3])), (v) =>
            this.#replyTaken(id, op[2], v, op[3]?.transfer),
          );
        case Op.read:
          return this.#wait(id, this.#space.read(op[2], this.#waitOpts(id, op[3])), (v) => this.#reply(id, v));
        case Op.takeMatching: {
          const pattern = this.#opts.parsePattern(op[2]);
          return this.#wait(id, this.#space.takeMatching(pattern, this.#waitOpts(id, op[3])), (hit) =>
            this.#replyTaken(id, hit?.key, hit, op[3]?.transfer, true),
          );
        }
        case Op.lease: {
          const leaseMs = op[3]?.leaseMs ?? this.#opts.defaultLeaseMs;
          checkPositive(leaseMs, "takeLeased: leaseMs");
          const key = op[2];
          return this.#wait(id, this.#space.take(key, this.#waitOpts(id, op[3])), (v) => {
            const lease = this.#leases.grant(key, v, leaseMs);
            this.#emit({ type: "lease", leaseId: lease.id, key, value: v });
            this.#results.push([id, 1, [lease.id, v, lease.deadline]]);
            this.#undo.push(() => this.#leases.nack(lease.id));
            this.#scheduleFlush();
          });
        }
        case Op.ack: {
          const lease = this.#leases.ack(op[2]);
          this.#emit({ type: "ack", leaseId: lease.id, key: lease.key, value: lease.value });
          return this.#reply(id, undefined);
        }
        case Op.nack:
          this.#leases.nack(op[2]);
          return this.#reply(id, undefined);
        case Op.extend: {
          checkPositive(op[3], "extend: leaseMs");
          return this.#reply(id, this.#leases.extend(op[2], op[3]).deadline);
        }
        case Op.cancel:
          this.#pending.get(op[2])?.abort();
          return undefined;
        case Op.giveBack:
          // A take the client had already abandoned: the value goes back to the head, unseen.
          putFront(this.#space, op[2], op[3]);
          this.#emit({ type: "return", leaseId: null, key: op[2], value: op[3], reason: "abandoned" });
          return undefined;
        default:
          throw new TypeError(`fanout hub: unknown operation ${JSON.stringify(op[1])}`);
      }
    } catch (err) {
      this.#pending.get(id)?.abort();
      this.#pending.delete(id);
      if (op[1] === Op.giveBack) {
        this.#emit({ type: "orphan", leaseId: null, key: op[2], values: err?.values ?? [op[3]], error: err });
      } else {
        this.#fail(id, err);
      }
      return undefined;
    }
  }

  #undoOne(undo, result) {
    try {
      undo?.();
    } catch (err) {
      this.#emit({ type: "orphan", leaseId: null, key: null, values: err?.values ?? [result?.[2]], error: err });
    }
  }

  #waitOpts(id, o) {
    const ctl = new AbortController();
    this.#pending.set(id, ctl);
    const opts = { signal: ctl.signal };
    if (o?.timeoutMs !== undefined) opts.timeoutMs = o.timeoutMs;
    return opts;
  }

  // `promise` is a wait on the space. When it settles after the connection closed, a taken value
  // must not vanish: it goes back to the head of its key.
  #wait(id, promise, onValue) {
    promise.then(
      (v) => {
        this.#pending.delete(id);
        if (this.closeReason !== null) {
          this.#restore(v, onValue);
          return;
        }
        onValue(v);
      },
      (err) => {
        this.#pending.delete(id);
        if (this.closeReason === null) this.#fail(id, err);
      },
    );
  }

  // A wait that completed after close: reply into a void and let the undo hook put it back.
  #restore(v, onValue) {
    const before = this.#undo.length;
    onValue(v);
    const undo = this.#undo.splice(before);
    this.#results.splice(before);
    for (const u of undo) u?.();
  }

  #replyTaken(id, key, value, transfer, isHit = false) {
    this.#results.push([id, 1, value]);
    this.#undo.push(
      value === undefined ? undefined : () => putFront(this.#space, key, isHit ? value.value : value),
    );
    if (transfer && value !== undefined) collectTransferables(isHit ? value.value : value, this.#transfer);
    this.#scheduleFlush();
  }

  #reply(id, value) {
    if (id === 0) return;
    this.#results.push([id, 1, value]);
    this.#undo.push(undefined);
    this.#scheduleFlush();
  }

  #fail(id, err) {
    if (id === 0) {
      this.#emit({ type: "error", error: err });
      return;
    }
    this.#results.push([id, 0, toWire(err)]);
    this.#undo.push(undefined);
    this.#scheduleFlush();
  }

  #loseLease(leaseId) {
    this.#lost.push(leaseId);
    this.#scheduleFlush();
  }

  #scheduleFlush() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.closeReason === null) this.#flushNow();
    });
  }

  #flushNow() {
    if (this.#results.length === 0 && this.#lost.length === 0) return;
    const results = this.#results;
    const undo = this.#undo;
    const transfer = [...this.#transfer];
    const msg = { t: "r", r: results };
    if (this.#lost.length) msg.lost = this.#lost;
    this.#results = [];
    this.#undo = [];
    this.#lost = [];
    this.#transfer = new Set();
    try {
      this.#port.postMessage(msg, transfer);
      this.stats.messagesOut++;
    } catch (err) {
      // One result could not be cloned (say, a function stored by the hub's own thread). Send the
      // results one by one so the others still go, and put each undeliverable value back.
      this.#flushOneByOne(msg, undo, err);
    }
  }

  #flushOneByOne(msg, undo, batchErr) {
    if (msg.lost) this.#post({ t: "r", r: [], lost: msg.lost });
    msg.r.forEach((result, i) => {
      // Cloned, not transferred: this is the rare path, and copying is always safe.
      if (this.#post({ t: "r", r: [result] })) return;
      this.#undoOne(undo[i], result);
      const why = new LindyError(
        Code.NOT_CLONEABLE,
        `the result of operation ${result[0]} cannot be sent to the worker (${batchErr?.message ?? "not cloneable"}); the entry was put back`,
      );
      this.#post({ t: "r", r: [[result[0], 0, toWire(why)]] });
    });
  }

  #post(msg, transfer = []) {
    try {
      this.#port.postMessage(msg, transfer);
      this.stats.messagesOut++;
      return true;
    } catch {
      return false;
    }
  }
}

function checkPositive(ms, what) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || ms > MAX_LEASE_MS) {
    throw new RangeError(`${what} must be a number of milliseconds in (0, ${MAX_LEASE_MS}], got ${String(ms)}`);
  }
}

export { Code };
