// The package's `Space`: a keyed FIFO of JS values whose queue logic — FIFO per key, waiters
// served in arrival order, leases, bounds, the close rule — is lindy's engine in wasm
// (`SpaceCore`, crates/lindy-wasm/src/space_core.rs), driven through a boundary where only
// numbers cross on the hot path (docs/js-internals.md):
//
// - values stay here, in a slab; the engine stores slab handles, so `peek` returns the very
//   object `push` was given and nothing is copied;
// - keys are interned once (`#kids`: string → key id); a key is copied into wasm only on first
//   use, after its length was checked here;
// - a take that has to wait gets a resolver id from the engine; the `push` that serves it returns
//   that id, and the promise is resolved here. No Promise, closure or future is made inside wasm
//   and wasm holds no reference to any JS object, so a Space dropped with takes pending is
//   ordinary garbage (its wasm half is freed by wasm-bindgen's FinalizationRegistry);
// - pushes to one key while nobody waits are buffered here and handed to the engine in one call
//   when anything else happens (the push buffer, below): a push + take pair on one key then costs
//   no wasm call at all.

import { SpaceCore } from "../dist/lindy.js";
import { LindyError, describe, rangeError, typeError } from "./errors.js";

// SpaceCore's result codes (space_core.rs).
const QUEUED = -1;
const EVENTS = -2;
const CLOSED = -3;
const FULL = -4;
const KEY_TOO_LONG = -5;
const LOST = -6;
const INVALID = -7;
const WAITING = -16;
// Event kinds: six numbers per event, [rid, kind, handle, a, b, c].
const EV_TAKEN = 0;
const EV_READ = 1;
const EV_CLOSED = 2;
const EV_MATCHED = 3;
const EV_LEASED = 4;

/** Longest key, in UTF-8 bytes. A string has at least as many UTF-8 bytes as UTF-16 units, so a
 * key with more units than this is refused before it is copied into wasm memory. */
export const MAX_KEY_BYTES = 4096;
/** The engine's bound when `maxEntries` is not given (space_core.rs `DEFAULT_MAX_ENTRIES`). */
const DEFAULT_MAX_ENTRIES = 16_777_216;
/** A `Fifo` is compacted once this many taken slots lead it (and they are half of it). */
const FIFO_COMPACT = 1024;
/** Most entries one `takeMany` returns. */
const MAX_BATCH = 1_048_576;
/** The key map is swept of idle keys when it reaches this size (and then twice its live size). */
const FIRST_SWEEP = 4096;

const WAIT_OPTIONS = new Set(["signal", "timeoutMs"]);
const LEASE_OPTIONS = new Set(["signal", "timeoutMs", "leaseMs"]);
const SPACE_OPTIONS = new Set(["maxEntries", "maxKeyEntries", "defaultLeaseMs", "maxDeliveries", "deadLetterKey"]);
const EACH_OPTIONS = new Set(["signal"]);

const wellFormed = String.prototype.isWellFormed
  ? (s) => s.isWellFormed()
  : (s) => !/\p{Surrogate}/u.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""));

/** `key` in a message: quoted, shortened. */
function show(key) {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 61)}...` : key);
}

function closedError(what, key) {
  return new LindyError("CLOSED", `${what}(${key === undefined ? "" : show(key)}): the space is closed`);
}

function fullError(what, key, details) {
  return new LindyError(
    "BUFFER_FULL",
    `${what}(${show(key)}): the space is full (maxEntries/maxKeyEntries); the value was not stored`,
    details,
  );
}

function lostError(what, lease) {
  return new LindyError(
    "LEASE_LOST",
    `${what}(${lease}): the lease is not held any more (it was acknowledged, returned, or it expired and its entry went back to the head of its key)`,
  );
}

function abortError(signal, what, key) {
  const reason = signal.reason;
  // AbortSignal.timeout() aborts with a "TimeoutError" DOMException: that is a timeout.
  const timedOut = reason !== null && typeof reason === "object" && reason.name === "TimeoutError";
  return new LindyError(
    timedOut ? "TIMEOUT" : "ABORTED",
    `${what}(${show(key)}): ${timedOut ? "timed out" : "aborted"} by its AbortSignal; nothing was taken`,
    { cause: reason },
  );
}

function timeoutError(ms, what, key) {
  return new LindyError("TIMEOUT", `${what}(${show(key)}): timed out after ${ms} ms; nothing was taken`);
}

/** Checks an options object against its known keys: anything else is INVALID_CONFIG. */
/** Whether `options` can end a wait early: a signal, or a finite `timeoutMs`. */
function cancellable(options) {
  return (
    options !== undefined &&
    (options.signal != null || (options.timeoutMs !== undefined && options.timeoutMs !== Infinity))
  );
}

/**
 * Arms `options`' signal and timeout to call `cancel(err)` — once, after disarming both — and
 * returns the disarm function the waiter's resolve and reject call.
 */
function armCancel(options, what, key, cancel) {
  const { signal, timeoutMs } = options;
  let timer;
  const done = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (signal != null) signal.removeEventListener("abort", onAbort);
  };
  const onAbort = () => {
    done();
    cancel(abortError(signal, what, key));
  };
  if (signal != null) signal.addEventListener("abort", onAbort, { once: true });
  if (timeoutMs !== undefined && timeoutMs !== Infinity) {
    timer = setTimeout(() => {
      done();
      cancel(timeoutError(timeoutMs, what, key));
    }, timeoutMs);
  }
  return done;
}

function checkOptions(options, known, what) {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") {
    throw typeError(`${what}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.has(k)) {
      throw new LindyError(
        "INVALID_CONFIG",
        `${what}: unknown option ${JSON.stringify(k)} (known: ${[...known].join(", ")})`,
      );
    }
  }
  return options;
}

/** `{ signal, timeoutMs }` of a wait. `timeoutMs: Infinity` (or undefined) waits forever. */
function waitOptions(options, known, what) {
  const o = checkOptions(options, known, what);
  if (o === undefined) return undefined;
  const { signal, timeoutMs } = o;
  if (signal !== undefined && signal !== null) {
    if (typeof signal !== "object" || typeof signal.aborted !== "boolean" || typeof signal.addEventListener !== "function") {
      throw typeError(`${what}: options.signal must be an AbortSignal, got ${describe(signal)}`);
    }
  }
  if (timeoutMs !== undefined && timeoutMs !== Infinity) {
    if (typeof timeoutMs !== "number") {
      throw typeError(`${what}: options.timeoutMs must be a number, got ${describe(timeoutMs)}`);
    }
    if (!(timeoutMs >= 0 && timeoutMs <= 2_147_483_647)) {
      throw rangeError(`${what}: options.timeoutMs must be between 0 and 2147483647 ms (or Infinity), got ${timeoutMs}`);
    }
  }
  return o;
}

function leaseMsArg(ms, what) {
  if (ms === undefined) return 0; // the space's default
  if (typeof ms !== "number") throw typeError(`${what}: leaseMs must be a number, got ${describe(ms)}`);
  if (!Number.isInteger(ms) || ms < 1 || ms > 31_536_000_000) {
    throw new LindyError("LEASE_INVALID", `${what}: leaseMs must be a whole number of ms in 1..=31536000000 (a year), got ${ms}`);
  }
  return ms;
}

function countOption(o, name, what) {
  const n = o[name];
  if (n === undefined) return 0;
  if (typeof n !== "number") throw typeError(`${what}: options.${name} must be a number, got ${describe(n)}`);
  if (!Number.isInteger(n) || n < 1 || n > 4_294_967_295) {
    throw new LindyError("INVALID_CONFIG", `${what}: options.${name} must be a whole number in 1..=4294967295, got ${n}`);
  }
  return n;
}

/**
 * A FIFO over an array with moving ends: O(1) `push`/`shift` without `Array#shift` or writes to
 * `length` (both cost a runtime call in V8 on the hot path). Memory: compacted when the taken
 * slots at its head are more than `FIFO_COMPACT` and half of it; a large array is let go when
 * it empties.
 */
class Fifo {
  items = [];
  head = 0;
  tail = 0;

  get size() {
    return this.tail - this.head;
  }

  push(v) {
    this.items[this.tail++] = v;
  }

  /** The oldest item, removed, or `undefined`. */
  shift() {
    const i = this.head;
    if (i === this.tail) return undefined;
    const v = this.items[i];
    this.items[i] = undefined;
    this.head = i + 1;
    if (this.head === this.tail) this.clear();
    else if (this.head >= FIFO_COMPACT && 2 * this.head >= this.tail) this.#compact();
    return v;
  }

  /** Up to `k` oldest items, removed. */
  take(k) {
    const from = this.head;
    const to = Math.min(this.tail, from + k);
    if (from === 0 && to === this.items.length) {
      // Everything, and nothing else in the array: hand the array itself over.
      const all = this.items;
      this.items = [];
      this.tail = 0;
      return all;
    }
    const out = this.items.slice(from, to);
    if (to === this.tail) this.clear();
    else {
      this.items.fill(undefined, from, to);
      this.head = to;
      if (this.head >= FIFO_COMPACT && 2 * this.head >= this.tail) this.#compact();
    }
    return out;
  }

  clear() {
    if (this.items.length > FIFO_COMPACT) this.items = [];
    else this.items.fill(undefined, this.head, this.tail);
    this.head = 0;
    this.tail = 0;
  }

  #compact() {
    this.items = this.items.slice(this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
  }
}

/**
 * A keyed tuple space of JS values: each key is a FIFO queue. `push` appends, `take` removes the
 * oldest entry (waiting for one), `peek` returns it without removing it; `takeLeased` hands an
 * entry out that comes back unless it is `ack`ed. (`out`, `outFront`, `outMany`, `read`,
 * `tryRead` are the deprecated old names.)
 */
export class Space {
  #core;
  // The value slab: handle → value; freed handles are reused (a stack).
  #values = [];
  #free = [];
  // Keys: string → key id, and back.
  #kids = new Map();
  #names = [];
  #sweepAt = FIRST_SWEEP;
  // Waiting promises by resolver id: resolve, reject, and what to undo on cancel.
  #resolve = [];
  #reject = [];
  // One timer for the earliest lease deadline.
  #timer = undefined;
  #timerAt = Infinity;
  // Promises waiting in the engine (takes, reads, pattern and leased takes).
  #waiting = 0;
  // The push buffer (docs/js-internals.md, "The push buffer"): entries pushed to key #bufKid
  // while nobody waits, not yet handed to the engine. They are logically at the back of that key;
  // #flush() hands them over, in order, before any operation that could observe them otherwise.
  #bufKid = -1;
  #buf = new Fifo();
  // The engine is known to hold nothing queued under #bufKid (learned from a take that found it
  // empty while nobody waited; forgotten by every flush).
  #bufAlone = false;
  // Takes of #bufKid waiting on the JS side, in arrival order: only while the engine and the
  // buffer hold nothing for the key and nobody waits in the engine. Each is `{ resolve, reject,
  // rid }`; `resolve` is null once it was served or cancelled (then it is skipped). #flush() hands
  // the others to the engine as its own waiters, in the same order (`rid` says where they went).
  #wq = new Fifo();
  // Cancelled entries still in #wq (dropped in bulk once they are half of it).
  #wqDead = 0;
  // Entries that may still be buffered without passing the space's bound (counted down; refilled
  // from the engine's count; zeroed by anything that may add entries behind the buffer's back).
  #credit = 0;
  #maxEntries;
  // The buffer is off for good with a per-key bound (the engine alone can judge it) and after close.
  #buffering;

  /**
   * @param {{ maxEntries?: number, maxKeyEntries?: number, defaultLeaseMs?: number,
   *   maxDeliveries?: number, deadLetterKey?: string }} [options]
   */
  constructor(options) {
    const o = checkOptions(options, SPACE_OPTIONS, "new Space") ?? {};
    const maxEntries = countOption(o, "maxEntries", "new Space");
    const maxKeyEntries = countOption(o, "maxKeyEntries", "new Space");
    const maxDeliveries = countOption(o, "maxDeliveries", "new Space");
    const defaultLeaseMs = o.defaultLeaseMs === undefined ? 0 : leaseMsArg(o.defaultLeaseMs, "new Space: options.defaultLeaseMs");
    let dead = "";
    if (o.deadLetterKey !== undefined) {
      dead = o.deadLetterKey;
      if (typeof dead !== "string") throw typeError(`new Space: options.deadLetterKey must be a string, got ${describe(dead)}`);
      if (dead === "" || dead.length > MAX_KEY_BYTES || !wellFormed(dead)) {
        throw new LindyError("INVALID_CONFIG", "new Space: options.deadLetterKey must be a non-empty, well-formed key of at most 4096 bytes");
      }
    }
    this.#core = new SpaceCore(maxEntries, maxKeyEntries, defaultLeaseMs, maxDeliveries, dead);
    this.#maxEntries = maxEntries || DEFAULT_MAX_ENTRIES;
    this.#buffering = maxKeyEntries === 0;
  }

  // ---------------------------------------------------------------- keys and values

  /** The key id of `key`, interning it on first use (checked here: type, length, UTF-16). */
  #kid(key, what, arg = "key") {
    const kid = this.#kids.get(key);
    return kid !== undefined ? kid : this.#intern(key, what, arg);
  }

  #intern(key, what, arg = "key") {
    if (typeof key !== "string") {
      throw typeError(`${what}: ${arg} must be a string, got ${describe(key)}`);
    }
    // Checked before the copy: a 100 MB key never reaches wasm memory.
    if (key.length > MAX_KEY_BYTES) {
      throw new LindyError("KEY_INVALID", `${what}: ${arg} is ${key.length} characters long, above the maximum of ${MAX_KEY_BYTES} bytes`);
    }
    if (!wellFormed(key)) {
      throw new LindyError("KEY_INVALID", `${what}: ${arg} ${show(key)} contains a lone surrogate (not well-formed UTF-16)`);
    }
    if (this.#kids.size >= this.#sweepAt) this.#sweep();
    const kid = this.#core.intern(key);
    if (kid < 0) {
      throw new LindyError("KEY_INVALID", `${what}: ${arg} is above the maximum of ${MAX_KEY_BYTES} UTF-8 bytes (or the key table is full)`);
    }
    this.#kids.set(key, kid);
    this.#names[kid] = key;
    return kid;
  }

  /** Forgets keys that hold nothing (amortised: runs when the map doubled since last time). */
  #sweep() {
    // A buffered key holds nothing in the engine yet: hand its entries over before the sweep
    // could free (and reuse) its id.
    this.#flush();
    for (const kid of this.#core.sweepKeys()) {
      this.#kids.delete(this.#names[kid]);
      this.#names[kid] = undefined;
    }
    this.#sweepAt = Math.max(FIRST_SWEEP, 2 * this.#kids.size);
  }

  #store(value) {
    const h = this.#free.pop();
    if (h === undefined) return this.#values.push(value) - 1;
    this.#values[h] = value;
    return h;
  }

  /** The value of handle `h`, freeing the slot. */
  #takeValue(h) {
    const v = this.#values[h];
    this.#values[h] = undefined;
    this.#free.push(h);
    return v;
  }

  #release(h) {
    this.#values[h] = undefined;
    this.#free.push(h);
  }

  // ---------------------------------------------------------------- the push buffer
  //
  // Invariants: the buffer holds entries only while no promise waits (#waiting === 0), the space
  // is open and has no per-key bound; its entries are newer than every entry the engine holds, so
  // a take of #bufKid serves the engine's entries first; every method other than the hot ones
  // (push/pushMany/tryTake/take/takeMany) flushes before it calls the engine, so the engine sees
  // the same sequence of operations as without the buffer, only later — which no caller can
  // observe, since every observation goes through the engine after a flush.

  /** Hands the buffered entries to the engine, in order (one call). */
  #flush() {
    this.#bufAlone = false;
    if (this.#wq.size !== 0) this.#flushWaiters();
    const n = this.#buf.size;
    if (n === 0) return;
    const kid = this.#bufKid;
    const vals = this.#buf.take(n);
    if (n === 1) {
      const h = this.#store(vals[0]);
      const r = this.#core.out(kid, h);
      if (r === QUEUED) return;
      if (r === EVENTS) return this.#drain();
      // Cannot happen (open, room counted, nobody waiting): keep the entry rather than lose it.
      this.#release(h);
      this.#buf.push(vals[0]);
      this.#buffering = false;
      this.#credit = 0;
      return;
    }
    const hs = new Uint32Array(n);
    for (let i = 0; i < n; i++) hs[i] = this.#store(vals[i]);
    const stored = this.#core.outMany(kid, hs);
    if (this.#core.hasEvents) this.#drain();
    if (stored !== n) {
      // As above: cannot happen; what did not go in stays buffered.
      const from = stored < 0 ? 0 : stored;
      for (let j = from; j < n; j++) this.#release(hs[j]);
      for (let j = from; j < n; j++) this.#buf.push(vals[j]);
      this.#buffering = false;
      this.#credit = 0;
    }
  }

  /** Hands the JS-side waiting takes to the engine, oldest first (the buffer is empty then). */
  #flushWaiters() {
    const ws = this.#wq.take(this.#wq.size);
    this.#wqDead = 0;
    const kid = this.#bufKid;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i];
      if (w.resolve === null) continue;
      const r = this.#core.take(kid);
      if (r <= WAITING) {
        const rid = WAITING - r;
        w.rid = rid;
        this.#waiting++;
        this.#resolve[rid] = w.resolve;
        this.#reject[rid] = w.reject;
      } else if (r >= 0) {
        // Cannot happen (the key held nothing): serve it all the same.
        const resolve = w.resolve;
        w.resolve = null;
        resolve(this.#takeValue(r));
        if (this.#core.hasEvents) this.#drain();
      } else {
        w.resolve = null;
        w.reject(closedError("Space.take", this.#names[kid]));
      }
    }
  }

  /** Resolves the oldest JS-side waiting take with `value`; `false` if none is left. */
  #handToWaiter(value) {
    for (let w = this.#wq.shift(); w !== undefined; w = this.#wq.shift()) {
      const resolve = w.resolve;
      if (resolve === null) {
        this.#wqDead--; // cancelled
        continue;
      }
      w.resolve = null; // served: an abort that comes later finds nothing to cancel
      resolve(value);
      return true;
    }
    return false;
  }

  /** Counts a cancelled JS-side take; rebuilds the line without them once they are half of it. */
  #buried() {
    this.#wqDead++;
    if (this.#wqDead >= 32 && 2 * this.#wqDead >= this.#wq.size) {
      const ws = this.#wq.take(this.#wq.size);
      for (let i = 0; i < ws.length; i++) if (ws[i].resolve !== null) this.#wq.push(ws[i]);
      this.#wqDead = 0;
    }
  }

  /** A take of #bufKid waiting on the JS side, cancelled by `options` (signal / timeoutMs). */
  #waitJs(options, what, key) {
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, rid: -1 };
      this.#wq.push(w);
      if (!cancellable(options)) return;
      const done = armCancel(options, what, key, (err) => {
        if (w.rid < 0) {
          // Still on the JS side: leave the line (a tombstone pushes and flushes skip).
          if (w.resolve === null) return;
          w.resolve = null;
          this.#buried();
          reject(err);
          return;
        }
        // Moved into the engine by a flush: leave the engine's queue, as #wait does.
        if (this.#resolve[w.rid] !== w.resolve) return;
        this.#leaveEngine(w.rid);
        reject(err);
      });
      w.resolve = (v) => {
        done();
        resolve(v);
      };
      w.reject = (e) => {
        done();
        reject(e);
      };
    });
  }

  /** Whether `count` more entries may be buffered for key `kid` (switching the buffer to it). */
  #bufferable(kid, count) {
    if (this.#waiting !== 0 || !this.#buffering || this.#wq.size !== 0) return false;
    if (kid !== this.#bufKid) {
      this.#flush();
      // (A flush the engine refused — it cannot be — keeps its entries and turns buffering off.)
      if (!this.#buffering) return false;
      this.#bufKid = kid;
    }
    if (this.#credit >= count) return true;
    this.#flush();
    this.#credit = this.#maxEntries - this.#core.size - this.#core.leasedLen;
    return this.#credit >= count;
  }

  /** The oldest entry of the buffer's key: the engine's head first, then the buffer's. */
  #bufTake(kid) {
    if (!this.#bufAlone) {
      const h = this.#core.tryTake(kid);
      if (h >= 0) {
        const v = this.#takeValue(h);
        if (this.#core.hasEvents) this.#drain();
        return v;
      }
      if (h !== QUEUED || this.#waiting !== 0) return undefined;
      this.#bufAlone = true;
    }
    return this.#buf.shift();
  }

  // ---------------------------------------------------------------- waiters

  /** Settles every waiter the last call made ready. */
  #drain() {
    const ev = this.#core.events();
    for (let i = 0; i < ev.length; i += 6) {
      const rid = ev[i];
      const kind = ev[i + 1];
      const h = ev[i + 2];
      const resolve = this.#resolve[rid];
      const reject = this.#reject[rid];
      this.#forget(rid);
      if (resolve === undefined) continue;
      switch (kind) {
        case EV_TAKEN:
          resolve(this.#takeValue(h));
          break;
        case EV_READ:
          resolve(this.#values[h]);
          break;
        case EV_MATCHED:
          resolve({ key: this.#names[ev[i + 3]] ?? this.#core.keyName(ev[i + 3]), value: this.#takeValue(h) });
          break;
        case EV_LEASED:
          resolve({ value: this.#values[h], lease: ev[i + 3], deadline: ev[i + 4], deliveries: ev[i + 5] });
          break;
        default:
          reject(closedError("Space.take"));
      }
    }
    this.#arm();
  }

  #forget(rid) {
    if (this.#resolve[rid] !== undefined) this.#waiting--;
    this.#resolve[rid] = undefined;
    this.#reject[rid] = undefined;
  }

  /** A cancelled waiter `rid` leaves the engine's queue (nothing taken). */
  #leaveEngine(rid) {
    this.#forget(rid);
    // The engine may give a handed-over entry back to its key: the buffer's credit and its
    // "nothing older in the engine" belief no longer hold.
    this.#credit = 0;
    this.#bufAlone = false;
    if (this.#core.cancel(rid) === EVENTS) this.#drain();
  }

  /** A promise for waiter `rid`, cancelled by `options` (signal / timeoutMs). */
  #wait(rid, options, what, key) {
    this.#waiting++;
    return new Promise((resolve, reject) => {
      if (!cancellable(options)) {
        this.#resolve[rid] = resolve;
        this.#reject[rid] = reject;
        return;
      }
      const done = armCancel(options, what, key, (err) => {
        // Still waiting? (A served waiter is already forgotten.) Then leave the engine's queue:
        // nothing was taken.
        if (this.#resolve[rid] !== resolveWrapped) return;
        this.#leaveEngine(rid);
        reject(err);
      });
      const resolveWrapped = (v) => {
        done();
        resolve(v);
      };
      this.#resolve[rid] = resolveWrapped;
      this.#reject[rid] = (e) => {
        done();
        reject(e);
      };
    });
  }

  /** Keeps one timer armed for the earliest lease deadline (it holds the space only weakly). */
  #arm() {
    const at = this.#core.pollTimeout();
    if (at < 0) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#timerAt = Infinity;
      }
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    const self = new WeakRef(this);
    this.#timer = setTimeout(() => self.deref()?.#expire(), Math.max(0, at - Date.now()));
    // Node: a pending lease must not keep the process alive by itself.
    this.#timer?.unref?.();
  }

  #expire() {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#flush();
    this.#core.handleTimeout(Date.now());
    if (this.#core.hasEvents) this.#drain();
    else this.#arm();
  }

  // ---------------------------------------------------------------- push

  /**
   * Appends `value` under `key`, handing it straight to the key's oldest waiting taker if there
   * is one. Never waits: throws `CLOSED` after `close()` and `BUFFER_FULL` at a bound (the value
   * stays yours: nothing was stored, `err.value` hands it back).
   */
  push(key, value) {
    const kid = this.#kids.get(key) ?? this.#intern(key, "Space.push");
    if (value === undefined) {
      throw typeError(`Space.push(${show(key)}, value): value must not be undefined (tryTake/tryPeek use undefined for "nothing there"); store null instead`);
    }
    if (kid === this.#bufKid && this.#waiting === 0) {
      // The hot paths: a take of this key waits on the JS side, or nobody waits and there is room
      // (#bufferable without the call).
      if (this.#wq.size !== 0 && this.#handToWaiter(value)) return;
      if (this.#credit > 0) {
        this.#credit--;
        this.#buf.push(value);
        return;
      }
    }
    if (!this.#pushSlow(kid, value, "Space.push", key)) throw fullError("Space.push", key, { value });
  }

  /**
   * As `push`, but a bound is not an error: `true` if `value` was stored (or handed to a waiting
   * taker), `false` if the space or the key is full — nothing was stored and the value stays
   * yours. Throws `CLOSED` after `close()`.
   */
  tryPush(key, value) {
    const kid = this.#kids.get(key) ?? this.#intern(key, "Space.tryPush");
    if (value === undefined) {
      throw typeError(`Space.tryPush(${show(key)}, value): value must not be undefined; store null instead`);
    }
    if (kid === this.#bufKid && this.#waiting === 0 && this.#wq.size !== 0 && this.#handToWaiter(value)) return true;
    return this.#pushSlow(kid, value, "Space.tryPush", key);
  }

  /** `push` past the hot path: buffered if the buffer may take it, else through the engine; `false` when full. */
  #pushSlow(kid, value, what, key) {
    if (this.#bufferable(kid, 1)) {
      this.#credit--;
      this.#buf.push(value);
      return true;
    }
    // Takes waiting on the JS side for another key cannot be served by this entry and nothing is
    // buffered meanwhile: they stay where they are.
    if (kid === this.#bufKid || this.#wq.size === 0) this.#flush();
    this.#credit = 0;
    const h = this.#store(value);
    const r = this.#core.out(kid, h);
    if (r === QUEUED) return true;
    if (r >= 0) {
      // Handed to waiting taker r: resolve it with the value itself.
      this.#release(h);
      const resolve = this.#resolve[r];
      this.#forget(r);
      resolve(value);
      return true;
    }
    return this.#outcome(r, h, what, key, value);
  }

  /** Puts `value` at the head of `key`: it is the next entry taken (O(1)). Throws as `push`. */
  pushFront(key, value) {
    const kid = this.#kid(key, "Space.pushFront");
    if (value === undefined) {
      throw typeError(`Space.pushFront(${show(key)}, value): value must not be undefined; store null instead`);
    }
    this.#flush();
    this.#credit = 0;
    const h = this.#store(value);
    const r = this.#core.outFront(kid, h);
    if (r === QUEUED) return;
    if (r >= 0) {
      this.#release(h);
      const resolve = this.#resolve[r];
      this.#forget(r);
      resolve(value);
      return;
    }
    if (!this.#outcome(r, h, "Space.pushFront", key, value)) throw fullError("Space.pushFront", key, { value });
  }

  /** Settles an engine `out` that neither queued nor handed over: `false` when full. */
  #outcome(r, h, what, key, value) {
    if (r === EVENTS) {
      this.#drain();
      return true;
    }
    this.#release(h);
    if (r === CLOSED) throw Object.assign(closedError(what, key), { value });
    return false;
  }

  /**
   * Appends every element of `values` under `key`, in order, in one call. Throws `CLOSED` after
   * `close()` before storing anything; `BUFFER_FULL` at a bound, with the values that did not go
   * in as `err.value` (those before them did).
   */
  pushMany(key, values) {
    const kid = this.#kid(key, "Space.pushMany");
    if (!Array.isArray(values)) {
      throw typeError(`Space.pushMany(${show(key)}, values): values must be an array, got ${describe(values)}`);
    }
    const n = values.length;
    for (let i = 0; i < n; i++) {
      if (values[i] === undefined) {
        throw typeError(`Space.pushMany(${show(key)}, values): values[${i}] must not be undefined; store null instead`);
      }
    }
    if (this.#bufferable(kid, n)) {
      this.#credit -= n;
      const buf = this.#buf;
      for (let i = 0; i < n; i++) buf.push(values[i]);
      return;
    }
    this.#flush();
    this.#credit = 0;
    const hs = new Uint32Array(n);
    for (let i = 0; i < n; i++) hs[i] = this.#store(values[i]);
    const stored = this.#core.outMany(kid, hs);
    if (stored === CLOSED) {
      for (let j = 0; j < n; j++) this.#release(hs[j]);
      throw Object.assign(closedError("Space.pushMany", key), { values });
    }
    if (this.#core.hasEvents) this.#drain();
    if (stored < n) {
      for (let j = stored; j < n; j++) this.#release(hs[j]);
      throw fullError("Space.pushMany", key, { value: values.slice(stored) });
    }
  }

  // ---------------------------------------------------------------- take / peek

  /** The oldest entry of `key`, taken, or `undefined`. Never waits; drains a closed space. */
  tryTake(key) {
    const kid = this.#kids.get(key) ?? this.#intern(key, "Space.tryTake");
    if (kid === this.#bufKid) return this.#bufTake(kid);
    const h = this.#core.tryTake(kid);
    if (h < 0) return undefined;
    const v = this.#takeValue(h);
    if (this.#core.hasEvents) this.#drain();
    return v;
  }

  /** Up to `max` of the oldest entries of `key`, taken, in one call. */
  takeMany(key, max) {
    const kid = this.#kid(key, "Space.takeMany");
    if (typeof max !== "number") throw typeError(`Space.takeMany(${show(key)}, max): max must be a number, got ${describe(max)}`);
    if (!Number.isInteger(max) || max < 0 || max > MAX_BATCH) {
      throw rangeError(`Space.takeMany(${show(key)}, max): max must be an integer in 0..=${MAX_BATCH}, got ${max}`);
    }
    let out;
    if (kid === this.#bufKid && this.#bufAlone) {
      out = [];
    } else {
      const hs = this.#core.takeMany(kid, max);
      out = new Array(hs.length);
      for (let i = 0; i < hs.length; i++) out[i] = this.#takeValue(hs[i]);
      if (this.#core.hasEvents) this.#drain();
      if (kid !== this.#bufKid) return out;
      // Fewer than asked: the engine holds nothing more under the key.
      if (hs.length < max && this.#waiting === 0) this.#bufAlone = true;
      else return out;
    }
    const k = max - out.length;
    if (k === 0 || this.#buf.size === 0) return out;
    const more = this.#buf.take(k);
    if (out.length === 0) return more;
    for (let i = 0; i < more.length; i++) out.push(more[i]);
    return out;
  }

  /**
   * Removes and returns the oldest entry of `key`, waiting for one. After `close()` it drains
   * what is queued, then rejects with `CLOSED`; `ABORTED`/`TIMEOUT` when cancelled — and then
   * nothing was taken.
   */
  take(key, options) {
    let kid;
    let opts;
    try {
      kid = this.#kids.get(key) ?? this.#intern(key, "Space.take");
      if (options !== undefined) {
        opts = waitOptions(options, WAIT_OPTIONS, "Space.take");
        if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal, "Space.take", key));
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (kid !== this.#bufKid && this.#waiting === 0 && this.#buffering && this.#buf.size === 0 && this.#wq.size === 0) {
      // Nothing buffered, nobody waiting: the buffer may follow this key at no cost.
      this.#bufKid = kid;
      this.#bufAlone = false;
    }
    if (kid === this.#bufKid) {
      const v = this.#bufTake(kid);
      if (v !== undefined) return Promise.resolve(v);
      if (this.#bufAlone && this.#waiting === 0) {
        // Nothing for the key anywhere and nobody waiting in the engine: wait on the JS side
        // (a push of this key resolves it directly; #flush() moves it into the engine).
        return this.#waitJs(opts, "Space.take", key);
      }
    }
    // A take that may wait in the engine: nothing may stay buffered while a promise waits there.
    this.#flush();
    const r = this.#core.take(kid);
    if (r >= 0) {
      const v = this.#takeValue(r);
      if (this.#core.hasEvents) this.#drain();
      return Promise.resolve(v);
    }
    if (r <= WAITING) return this.#wait(WAITING - r, opts, "Space.take", key);
    return Promise.reject(closedError("Space.take", key));
  }
  /** The oldest entry of `key` without removing it, waiting for one (`CLOSED`, `ABORTED`, `TIMEOUT` as for `take`). */
  peek(key, options) {
    let kid;
    let opts;
    try {
      kid = this.#kid(key, "Space.peek");
      opts = waitOptions(options, WAIT_OPTIONS, "Space.peek");
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal, "Space.peek", key));
    } catch (err) {
      return Promise.reject(err);
    }
    this.#flush();
    const r = this.#core.read(kid);
    if (r >= 0) return Promise.resolve(this.#values[r]);
    if (r <= WAITING) return this.#wait(WAITING - r, opts, "Space.peek", key);
    return Promise.reject(closedError("Space.peek", key));
  }

  /** The oldest entry of `key` without removing it, or `undefined`. Never waits. */
  tryPeek(key) {
    const kid = this.#kid(key, "Space.tryPeek");
    this.#flush();
    const h = this.#core.tryRead(kid);
    return h >= 0 ? this.#values[h] : undefined;
  }

  /**
   * Takes the oldest entry (by `out` order) of any key that is a channel name matching
   * `pattern`, waiting for one; resolves `{ key, value }`.
   */
  takeMatching(pattern, options) {
    let opts;
    let r;
    try {
      opts = waitOptions(options, WAIT_OPTIONS, "Space.takeMatching");
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal, "Space.takeMatching", (typeof pattern === "string" ? pattern : "pattern")));
      this.#flush();
      r = this.#core.takeMatching(pattern);
    } catch (err) {
      return Promise.reject(err);
    }
    if (r >= 0) return Promise.resolve(this.#matched(r));
    if (r <= WAITING) return this.#wait(WAITING - r, opts, "Space.takeMatching", (typeof pattern === "string" ? pattern : "pattern"));
    return Promise.reject(closedError("Space.takeMatching"));
  }

  /** `{ key, value }` of the oldest entry matching `pattern`, taken, or `undefined`. */
  tryTakeMatching(pattern) {
    this.#flush();
    const r = this.#core.tryTakeMatching(pattern);
    return r >= 0 ? this.#matched(r) : undefined;
  }

  #matched(h) {
    const kid = this.#core.lastKid;
    const hit = { key: this.#names[kid] ?? this.#core.keyName(kid), value: this.#takeValue(h) };
    if (this.#core.hasEvents) this.#drain();
    return hit;
  }

  /**
   * Every entry of `key` as it arrives: `for await (const job of space.takeEach("jobs"))`. Ends
   * when the space is closed and drained, or `signal` fires; `break` stops taking. Each value is
   * taken only when the loop asks for it, so stopping early leaves the rest in the space.
   */
  takeEach(key, options) {
    this.#kid(key, "Space.takeEach");
    const opts = waitOptions(options, EACH_OPTIONS, "Space.takeEach");
    const signal = opts?.signal ?? undefined;
    const space = this;
    return (async function* takeEach() {
      for (;;) {
        if (signal?.aborted) return;
        let v;
        try {
          v = await space.take(key, signal ? { signal } : undefined);
        } catch (err) {
          if (err?.code === "CLOSED" || err?.code === "ABORTED" || err?.code === "TIMEOUT") return;
          throw err;
        }
        yield v;
      }
    })();
  }

  // ---------------------------------------------------------------- leases

  /**
   * Takes the oldest entry of `key` under a lease, waiting for one: resolves
   * `{ value, lease, deadline, deliveries }`. The entry stays in the space until `ack(lease)`;
   * `nack(lease)` or the lease running out (`leaseMs`, default `defaultLeaseMs`, 30 s) puts it
   * back at the head of its key with its age.
   */
  takeLeased(key, options) {
    let kid;
    let opts;
    let ms;
    try {
      kid = this.#kid(key, "Space.takeLeased");
      opts = waitOptions(options, LEASE_OPTIONS, "Space.takeLeased");
      ms = leaseMsArg(opts?.leaseMs, "Space.takeLeased");
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal, "Space.takeLeased", key));
    } catch (err) {
      return Promise.reject(err);
    }
    this.#flush();
    const r = this.#core.takeLeased(kid, ms, Date.now());
    if (r >= 0) return Promise.resolve(this.#leased(r));
    if (r <= WAITING) return this.#wait(WAITING - r, opts, "Space.takeLeased", key);
    return Promise.reject(closedError("Space.takeLeased", key));
  }

  /** `{ value, lease, deadline, deliveries }` of the oldest entry of `key`, leased, or `undefined`. */
  tryTakeLeased(key, options) {
    const kid = this.#kid(key, "Space.tryTakeLeased");
    const opts = checkOptions(options, new Set(["leaseMs"]), "Space.tryTakeLeased");
    const ms = leaseMsArg(opts?.leaseMs, "Space.tryTakeLeased");
    this.#flush();
    const r = this.#core.tryTakeLeased(kid, ms, Date.now());
    return r >= 0 ? this.#leased(r) : undefined;
  }

  #leased(h) {
    const [lease, deadline, deliveries] = this.#core.lastLease();
    this.#arm();
    return { value: this.#values[h], lease, deadline, deliveries };
  }

  /** Acknowledges `lease`: its entry is done and leaves the space. Throws `LEASE_LOST`. */
  ack(lease) {
    const id = this.#leaseArg(lease, "Space.ack");
    this.#flush();
    const h = this.#core.ack(id);
    if (h === LOST) throw lostError("Space.ack", lease);
    this.#release(h);
    this.#arm();
  }

  /**
   * Returns `lease`: its entry goes back to the head of its key with its age (handed to a waiting
   * taker first), or to the dead-letter key after `maxDeliveries`. Returns `"requeued"` or
   * `"dead-lettered"`; throws `LEASE_LOST`.
   */
  nack(lease) {
    const id = this.#leaseArg(lease, "Space.nack");
    // The entry goes back to the head of its key: the buffer's entries are newer.
    this.#flush();
    const r = this.#core.nack(id);
    if (r === LOST) throw lostError("Space.nack", lease);
    if (r & 2) this.#drain();
    else this.#arm();
    return r & 1 ? "dead-lettered" : "requeued";
  }

  /** Extends `lease` to `leaseMs` from now (default `defaultLeaseMs`); returns the new deadline. */
  extend(lease, leaseMs) {
    const id = this.#leaseArg(lease, "Space.extend");
    const d = this.#core.extend(id, leaseMsArg(leaseMs, "Space.extend"), Date.now());
    if (d === LOST) throw lostError("Space.extend", lease);
    if (d === INVALID) throw new LindyError("LEASE_INVALID", `Space.extend(${lease}, leaseMs): bad lease length`);
    this.#arm();
    return d;
  }

  #leaseArg(lease, what) {
    if (typeof lease !== "number") throw typeError(`${what}(lease): lease must be a number (a lease id), got ${describe(lease)}`);
    if (!Number.isSafeInteger(lease) || lease < 0) throw lostError(what, lease);
    return lease;
  }

  /** Entries out on lease. */
  get leased() {
    this.#flush();
    return this.#core.leasedLen;
  }

  // ---------------------------------------------------------------- the old names

  /** @deprecated Renamed `push` (docs/vocabulary.md); kept for one minor version. */
  out(key, value) {
    return this.push(key, value);
  }

  /** @deprecated Renamed `pushFront`. */
  outFront(key, value) {
    return this.pushFront(key, value);
  }

  /** @deprecated Renamed `pushMany`. */
  outMany(key, values) {
    return this.pushMany(key, values);
  }

  /** @deprecated Renamed `peek`. */
  read(key, options) {
    return this.peek(key, options);
  }

  /** @deprecated Renamed `tryPeek`. */
  tryRead(key) {
    return this.tryPeek(key);
  }

  // ---------------------------------------------------------------- the rest

  /**
   * A handle bound to `key`: the same operations without the key argument, for a hot loop on
   * one key (`const jobs = space.key("jobs"); jobs.push(v)`).
   */
  key(key) {
    this.#kid(key, "Space.key");
    return new SpaceKey(this, key);
  }

  /** Entries queued under `key`. */
  len(key) {
    const kid = this.#kids.get(key) ?? this.#intern(key, "Space.len");
    this.#flush();
    return this.#core.len(kid);
  }

  /** Entries queued across all keys. */
  get size() {
    this.#flush();
    return this.#core.size;
  }

  /** The keys holding entries, sorted. */
  keys() {
    this.#flush();
    return this.#core.keys().sort();
  }

  /**
   * Closes the space (idempotent): `out` throws `CLOSED`, waiting takes reject with `CLOSED`;
   * what is queued stays for `take`/`tryTake` to drain, and leases still settle.
   */
  close() {
    this.#flush();
    this.#buffering = false;
    this.#bufKid = -1;
    this.#core.close();
    if (this.#core.hasEvents) this.#drain();
  }

  /** Whether `close()` was called. */
  get isClosed() {
    return this.#core.isClosed;
  }

  [Symbol.dispose]() {
    this.close();
  }

  get [Symbol.toStringTag]() {
    return "Space";
  }
}

/** One key of a `Space` (`space.key("jobs")`). */
export class SpaceKey {
  #space;
  #key;
  constructor(space, key) {
    this.#space = space;
    this.#key = key;
  }
  /** The key. */
  get key() {
    return this.#key;
  }
  push(value) {
    return this.#space.push(this.#key, value);
  }
  tryPush(value) {
    return this.#space.tryPush(this.#key, value);
  }
  pushFront(value) {
    return this.#space.pushFront(this.#key, value);
  }
  pushMany(values) {
    return this.#space.pushMany(this.#key, values);
  }
  take(options) {
    return this.#space.take(this.#key, options);
  }
  peek(options) {
    return this.#space.peek(this.#key, options);
  }
  tryTake() {
    return this.#space.tryTake(this.#key);
  }
  tryPeek() {
    return this.#space.tryPeek(this.#key);
  }
  takeMany(max) {
    return this.#space.takeMany(this.#key, max);
  }
  /** @deprecated Renamed `push`. */
  out(value) {
    return this.push(value);
  }
  /** @deprecated Renamed `pushFront`. */
  outFront(value) {
    return this.pushFront(value);
  }
  /** @deprecated Renamed `peek`. */
  read(options) {
    return this.peek(options);
  }
  /** @deprecated Renamed `tryPeek`. */
  tryRead() {
    return this.tryPeek();
  }
  takeLeased(options) {
    return this.#space.takeLeased(this.#key, options);
  }
  get length() {
    return this.#space.len(this.#key);
  }
}
