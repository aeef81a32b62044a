// The hub: serves a Space that lives on this thread to one client on the other end of a port.
//
//   main thread                              worker
//   ┌──────────────┐   one message / batch   ┌──────────────┐
//   │ Space (wasm) │◄── serve(space, port) ──┤ connect(port)│  same Space API, as Promises
//   │ leases       │───── results batch ────►│              │
//   └──────────────┘                         └──────────────┘
//
// Call `serve` once per worker port; every connection shares the one space. A connection owns
// the leases its client holds and the waits it started: when the client goes away — it said bye,
// its port closed, its heartbeat stopped, or the Web Lock it held for its lifetime was released
// (the browser releases a dead worker's locks) — pending waits are cancelled (nothing is taken) and
// leased entries go back to the head of their keys.

import { disposeBy } from "../dispose.js";
import { rangeError, typeError } from "../errors.js";
import {
  Code,
  Frame,
  LindyError,
  OP_WIDTH,
  Op,
  RES_WIDTH,
  St,
  carriesValue,
  checkOptions,
  collectTransferables,
  listen,
  toWire,
  unrefTimer,
} from "./protocol.js";
import { DEFAULT_LEASE_MS, HeldLeases, MAX_LEASE_MS } from "./lease.js";

/** How long a client may stay silent (no operation, no ping) before it is declared dead. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

// The options `serve` knows; any other name is an INVALID_CONFIG error.
export const SERVE_OPTIONS = ["defaultLeaseMs", "heartbeatTimeoutMs", "locks", "parsePattern", "onEvent"];

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
export function serve(space, port, opts) {
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
  // The reply being built: numeric rows, a value column, and per row how to put a taken value back
  // if it can never be delivered (connection died, or the value cannot be cloned): two cells per
  // row in #undo, `[key, entry]` (pushFront), `[UNDO_CALL, fn]`, or `[undefined, undefined]`.
  // Written in place and reused after every post, so a reply allocates nothing per row.
  #rows = new Frame(RES_WIDTH);
  #values = [];
  #undo = [];
  #lost = [];
  #transfer = new Set();
  #scheduled = false;
  #lastSeen = Date.now();
  #life = new AbortController();
  #unlisten = [];
  #watchdog;
  #onEvent;

  constructor(space, port, opts) {
    const needs = ["take", "tryTake", "push", "pushFront", "takeLeased", "tryTakeLeased", "ack", "nack", "extend"];
    if (!space || needs.some((m) => typeof space[m] !== "function")) {
      throw typeError(`serve(space, port): space must be a lindy Space (needs ${needs.join("/")})`);
    }
    if (!port || typeof port.postMessage !== "function") {
      throw typeError("serve(space, port): port must be a MessagePort");
    }
    opts = checkOptions(opts, SERVE_OPTIONS, "serve");
    this.#space = space;
    this.#port = port;
    this.#opts = {
      defaultLeaseMs: opts.defaultLeaseMs ?? DEFAULT_LEASE_MS,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      locks: opts.locks === undefined ? globalThis.navigator?.locks ?? null : opts.locks,
      parsePattern: opts.parsePattern ?? ((p) => p),
    };
    checkLeaseMs(this.#opts.defaultLeaseMs, "serve: defaultLeaseMs");
    if (!(this.#opts.heartbeatTimeoutMs >= 0)) {
      throw rangeError("serve: heartbeatTimeoutMs must be >= 0 (0 disables the heartbeat check)");
    }
    this.#onEvent = opts.onEvent ?? (() => {});
    // The leases live in the space's engine; this records which ones this client holds.
    this.#leases = new HeldLeases(space, {
      onReturn: (lease, reason) =>
        this.#emit({ type: "return", leaseId: lease.id, key: lease.key, value: lease.value, reason }),
      onExpire: (lease) => this.#loseLease(lease.id),
    });

    this.#unlisten.push(listen(port, "message", (e) => this.#onMessage(e.data)));
    // `close` fires on Node ports and, where supported, on browser MessagePorts.
    this.#unlisten.push(listen(port, "close", () => this.close("port-closed")));
    // A batch that cannot be deserialized here has lost its operation ids: end the connection so
    // the client's calls reject with CLOSED instead of waiting forever.
    this.#unlisten.push(listen(port, "messageerror", () => this.close("message-error")));
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
    const undo = this.#takeReply().undo;
    for (let i = undo.length - 2; i >= 0; i -= 2) this.#undoOne(undo[i], undo[i + 1]);
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
        this.#runBatch(msg);
        break;
      case "hello":
        this.clientId = String(msg.clientId);
        this.#emit({ type: "connect" });
        if (typeof msg.lock === "string") this.#watchLock(msg.lock);
        break;
      case "bye":
        this.close("client-disconnected");
        break;
      default:
        break; // "ping": being here was the point
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

  #runBatch({ h, k, v }) {
    if (!(h instanceof Float64Array) || h.length % OP_WIDTH !== 0 || !Array.isArray(k) || !Array.isArray(v)) return;
    let vi = 0;
    for (let i = 0; i < h.length; i += OP_WIDTH) {
      const code = h[i + 1];
      const value = carriesValue(code) ? v[vi++] : undefined;
      const ki = h[i + 2];
      this.stats.ops++;
      this.#run(h[i], code, ki >= 0 ? k[ki] : undefined, h[i + 3], h[i + 4], value);
    }
  }

  #run(id, code, key, a, b, value) {
    const space = this.#space;
    try {
      switch (code) {
        case Op.OUT:
          space.push(key, value);
          return this.#reply(id, St.VOID, 0, 0);
        case Op.TRY_TAKE:
          return this.#replyTaken(id, key, space.tryTake(key), b === 1);
        case Op.TRY_READ:
          return this.#reply(id, St.VALUE, 0, 0, space.tryPeek(key));
        case Op.LEN:
          return this.#reply(id, St.NUMBER, space.len(key), 0);
        case Op.CLOSE:
          space.close();
          return this.#reply(id, St.VOID, 0, 0);
        case Op.TAKE: {
          // Fast path: an entry is there, so `take` is `tryTake` — no wait, no AbortController, and
          // the answer joins this batch's reply. Only an empty key costs a real wait.
          const now = space.tryTake(key);
          if (now !== undefined) return this.#replyTaken(id, key, now, b === 1);
          return this.#wait(id, space.take(key, this.#waitOpts(id, a)), (got) => this.#replyTaken(id, key, got, b === 1));
        }
        case Op.READ: {
          const now = space.tryPeek(key);
          if (now !== undefined) return this.#reply(id, St.VALUE, 0, 0, now);
          return this.#wait(id, space.peek(key, this.#waitOpts(id, a)), (got) => this.#reply(id, St.VALUE, 0, 0, got));
        }
        case Op.TAKE_MATCHING: {
          const pattern = this.#opts.parsePattern(key);
          return this.#wait(id, space.takeMatching(pattern, this.#waitOpts(id, a)), (hit) =>
            this.#replyTaken(id, hit?.key, hit, b === 1, true),
          );
        }
        case Op.LEASE: {
          const leaseMs = Number.isNaN(b) ? this.#opts.defaultLeaseMs : b;
          checkLeaseMs(leaseMs, "takeLeased: leaseMs");
          // The engine's lease: the entry stays in the space until ack; nack, expiry or an
          // undeliverable reply put it back at the head of its key with its age.
          const grant = (leased) => {
            const lease = this.#leases.hold(key, leased);
            this.#emit({ type: "lease", leaseId: lease.id, key, value: leased.value });
            this.#reply(id, St.LEASE, lease.id, lease.deadline, leased.value, UNDO_CALL, () => this.#leases.nack(lease.id));
          };
          const now = space.tryTakeLeased(key, { leaseMs });
          if (now !== undefined) return grant(now);
          const opts = this.#waitOpts(id, a);
          opts.leaseMs = leaseMs;
          return this.#wait(id, space.takeLeased(key, opts), grant);
        }
        case Op.OUT_MANY:
          if (!Array.isArray(value)) throw typeError("pushMany: values must be an array");
          if (typeof space.pushMany === "function") space.pushMany(key, value);
          else for (const v of value) space.push(key, v);
          return this.#reply(id, St.VOID, 0, 0);
        case Op.TAKE_MANY: {
          const max = Math.max(0, Math.min(a, 1_048_576));
          let got;
          if (typeof space.takeMany === "function") got = space.takeMany(key, max);
          else {
            got = [];
            for (let v; got.length < max && (v = space.tryTake(key)) !== undefined; ) got.push(v);
          }
          if (b === 1) for (const v of got) collectTransferables(v, this.#transfer);
          return this.#reply(id, St.VALUE, 0, 0, got, UNDO_CALL, () => {
            for (let i = got.length - 1; i >= 0; i--) space.pushFront(key, got[i]);
          });
        }
        case Op.TRY_TAKE_MATCHING: {
          const hit = space.tryTakeMatching(this.#opts.parsePattern(key));
          return this.#replyTaken(id, hit?.key, hit, b === 1, true);
        }
        case Op.SIZE:
          // The wasm Space has `size` as a getter; other spaces may have a method.
          return this.#reply(id, St.NUMBER, typeof space.size === "function" ? space.size() : space.size, 0);
        case Op.IS_CLOSED:
          return this.#reply(id, St.VALUE, 0, 0, Boolean(space.isClosed));
        case Op.KEYS:
          return this.#reply(id, St.VALUE, 0, 0, space.keys());
        case Op.ACK: {
          const lease = this.#leases.ack(a);
          this.#emit({ type: "ack", leaseId: lease.id, key: lease.key, value: lease.value });
          return this.#reply(id, St.VOID, 0, 0);
        }
        case Op.NACK:
          this.#leases.nack(a);
          return this.#reply(id, St.VOID, 0, 0);
        case Op.EXTEND:
          checkLeaseMs(b, "extend: leaseMs");
          return this.#reply(id, St.NUMBER, this.#leases.extend(a, b).deadline, 0);
        case Op.CANCEL:
          this.#pending.get(a)?.abort();
          return undefined;
        case Op.GIVE_BACK:
          // A take the client had already abandoned: the value goes back to the head, unseen.
          space.pushFront(key, value);
          this.#emit({ type: "return", leaseId: null, key, value, reason: "abandoned" });
          return undefined;
        default:
          throw typeError(`fanout hub: unknown operation ${code}`);
      }
    } catch (err) {
      this.#pending.get(id)?.abort();
      this.#pending.delete(id);
      if (code === Op.GIVE_BACK) {
        this.#emit({ type: "orphan", leaseId: null, key, values: err?.values ?? [value], error: err });
      } else {
        // A refused `push` hands the value back: the caller's own copy may have been transferred.
        this.#fail(id, err, code === Op.OUT || code === Op.OUT_MANY ? { value } : undefined);
      }
      return undefined;
    }
  }

  #waitOpts(id, timeoutMs) {
    const ctl = new AbortController();
    this.#pending.set(id, ctl);
    const opts = { signal: ctl.signal };
    if (!Number.isNaN(timeoutMs)) opts.timeoutMs = timeoutMs;
    return opts;
  }

  // `promise` is a wait on the space. When it settles after the connection closed, a taken value
  // must not vanish: `onValue` builds its reply row and the row's undo puts the value back.
  #wait(id, promise, onValue) {
    promise.then(
      (got) => {
        this.#pending.delete(id);
        if (this.closeReason === null) return onValue(got);
        // Closed: nothing in the reply being built can be delivered any more; put it all back.
        onValue(got);
        const { undo } = this.#takeReply();
        for (let i = 0; i < undo.length; i += 2) this.#undoOne(undo[i], undo[i + 1]);
        return undefined;
      },
      (err) => {
        this.#pending.delete(id);
        if (this.closeReason === null) this.#fail(id, err);
      },
    );
  }

  #replyTaken(id, key, taken, transfer, isHit = false) {
    if (taken === undefined) return this.#reply(id, St.VALUE, 0, 0, undefined);
    const entry = isHit ? taken.value : taken;
    if (transfer) collectTransferables(entry, this.#transfer);
    return this.#reply(id, St.VALUE, 0, 0, taken, key, entry);
  }

  // One result row. `undoKey`/`undoWhat`: how to put a taken value back (see #undo).
  #reply(id, status, n1, n2, value, undoKey, undoWhat) {
    if (id === 0) return;
    const at = this.#rows.row();
    const cells = this.#rows.cells;
    cells[at] = id;
    cells[at + 1] = status;
    cells[at + 2] = n1;
    cells[at + 3] = n2;
    if (status === St.VALUE || status === St.LEASE || status === St.ERROR) this.#values.push(value);
    this.#undo.push(undoKey, undoWhat);
    this.#scheduleFlush();
  }

  #fail(id, err, handBack) {
    if (id === 0) {
      this.#emit({ type: "error", error: err });
      return;
    }
    const wire = toWire(err);
    if (handBack && !("value" in wire)) wire.value = handBack.value;
    this.#reply(id, St.ERROR, 0, 0, wire);
  }

  #undoOne(undoKey, undoWhat) {
    if (undoKey === undefined) return;
    try {
      if (undoKey === UNDO_CALL) undoWhat();
      else this.#space.pushFront(undoKey, undoWhat);
    } catch (err) {
      // The space refused the put-back (it was closed): hand the value over, never drop it.
      const values = err?.values ?? (err && "value" in err ? [err.value] : []);
      this.#emit({ type: "orphan", leaseId: null, key: null, values, error: err });
    }
  }

  #loseLease(leaseId) {
    this.#lost.push(leaseId);
    this.#scheduleFlush();
  }

  #scheduleFlush() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flushTask);
  }

  #flushTask = () => {
    this.#scheduled = false;
    if (this.closeReason === null) this.#flushNow();
  };

  // Hands the reply being built over to the caller and starts an empty one (the rare paths: the
  // hot path posts and clears in place).
  #takeReply() {
    const reply = { rows: this.#rows, values: this.#values, undo: this.#undo, lost: this.#lost, transfer: this.#transfer };
    this.#rows = new Frame(RES_WIDTH);
    this.#values = [];
    this.#undo = [];
    this.#lost = [];
    this.#transfer = new Set();
    return reply;
  }

  #flushNow() {
    if (this.#rows.length === 0 && this.#lost.length === 0) return;
    const h = this.#rows.packed();
    const msg = { t: "r", h, v: this.#values };
    if (this.#lost.length) msg.lost = this.#lost;
    const transfer = [h.buffer, ...this.#transfer];
    if (this.#post(msg, transfer)) {
      // Structured clone copied what it needed: the containers are reused for the next reply.
      this.#rows.clear();
      this.#values.length = 0;
      this.#undo.length = 0;
      if (this.#lost.length) this.#lost = [];
      this.#transfer.clear();
      return;
    }
    // A value could not be cloned (say, a function stored by the hub's own thread). Send the
    // results one by one so the others still go, and put each undeliverable value back.
    const { rows, values, undo, lost } = this.#takeReply();
    if (lost.length) this.#post({ t: "r", h: new Float64Array(0), v: [], lost });
    let vi = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows.rowCopy(r);
      const status = row[1];
      const one = status === St.VALUE || status === St.LEASE || status === St.ERROR ? [values[vi++]] : [];
      // Cloned, not transferred: this is the rare path, and copying is always safe.
      if (this.#post({ t: "r", h: row, v: one })) continue;
      this.#undoOne(undo[2 * r], undo[2 * r + 1]);
      const why = new LindyError(
        Code.NOT_CLONEABLE,
        `the result of operation ${row[0]} cannot be sent to the worker (a value that structured clone refuses); the entry was put back`,
      );
      this.#post({ t: "r", h: Float64Array.of(row[0], St.ERROR, 0, 0), v: [toWire(why)] });
    }
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

// An #undo cell meaning "the next cell is a function that puts the value back".
const UNDO_CALL = Symbol("undo-call");

function checkLeaseMs(ms, what) {
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms <= 0 || ms > MAX_LEASE_MS) {
    throw new LindyError("LEASE_INVALID", `${what} must be a whole number of milliseconds in 1..=${MAX_LEASE_MS}, got ${String(ms)}`);
  }
}

// `using` closes.
disposeBy(Connection, "close");
