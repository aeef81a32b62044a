// The client: the Space API, as Promises, over a port served by `serve` on the owning thread.
//
// Every call is queued and the queue is posted as ONE message at the end of the current
// microtask checkpoint, so `await Promise.all(jobs.map(j => remote.push("jobs", j)))` costs one
// postMessage, not one per job. Results come back batched the same way.
//
// Delivery: plain `take` is AT-MOST-ONCE — once the hub has taken an entry and posted it, a worker
// that dies before reading the message loses it. Use `takeLeased` + `ack()` when a job must not be
// lost: the hub keeps the entry until the ack and puts it back at the head of its key otherwise.

import { disposeBy } from "../dispose.js";
import { CallTable, MAX_CALLS } from "./calls.js";
import { rangeError, typeError } from "../errors.js";
import {
  Code,
  Frame,
  LindyError,
  OP_NAME,
  OP_WIDTH,
  Op,
  RES_WIDTH,
  St,
  abortError,
  carriesValue,
  checkKey,
  checkOptions,
  checkMs,
  fromWire,
  listen,
  randomId,
  transfersFor,
  unrefTimer,
} from "./protocol.js";

/** How often an idle client says it is alive (the hub's timeout is a few of these). */
export const DEFAULT_HEARTBEAT_MS = 1_000;

/** Prefix of the Web Lock every client holds for its lifetime (see hub.js). */
export const CLIENT_LOCK_PREFIX = "lindy.fanout.client.";

/**
 * Connects to a hub across `port`.
 *
 * @param {MessagePort} port
 * @param {object} [opts]
 * @param {number} [opts.heartbeatMs] ping interval while idle (1 s; 0 disables)
 * @param {LockManager|null} [opts.locks] Web Locks (default `navigator.locks`; `null` disables)
 * @param {string} [opts.clientId] a name for this client (a random UUID by default)
 * @returns {RemoteSpace}
 */
export function connect(port, opts) {
  return new RemoteSpace(port, opts);
}

/** A leased entry: `ack()` when done, `nack()` to give it back now. */
export class Lease {
  #client;
  #settled = false;
  // Made on first use of `signal`: an AbortController per lease was a good part of what a leased
  // job cost, and most callers never look at the signal.
  #lost = null;
  #lostReason = undefined;

  /** @internal */
  constructor(client, id, key, value, deadline) {
    this.#client = client;
    /** The lease id (unique per connection). */
    this.id = id;
    /** The key the entry was taken from. */
    this.key = key;
    /** The entry. */
    this.value = value;
    /** When the hub takes it back unless acked or extended (ms since the epoch, hub clock). */
    this.deadline = deadline;
  }

  /** Aborted when the hub took the entry back (expired, or connection lost): stop working on it. */
  get signal() {
    if (this.#lost === null) {
      this.#lost = new AbortController();
      if (this.#lostReason !== undefined) this.#lost.abort(this.#lostReason);
    }
    return this.#lost.signal;
  }

  /** Done: the entry is removed for good. Rejects with `LEASE_LOST` if the hub took it back first. */
  ack() {
    return this.#settle("ack") ?? this.#client._call(Op.ACK, null, this.id);
  }

  /** Not done: the entry goes back to the head of its key now. */
  nack() {
    return this.#settle("nack") ?? this.#client._call(Op.NACK, null, this.id);
  }

  /** Keeps the lease for `leaseMs` more milliseconds from now. Resolves to the new deadline. */
  async extend(leaseMs) {
    checkMs(leaseMs, "leaseMs", "lease.extend");
    this.deadline = await this.#client._call(Op.EXTEND, null, this.id, leaseMs);
    return this.deadline;
  }

  // A rejected promise if the lease was already acked or nacked, else undefined.
  #settle(how) {
    if (this.#settled) {
      return Promise.reject(new LindyError(Code.LEASE_LOST, `lease ${this.id}: already settled, cannot ${how} it`));
    }
    this.#settled = true;
    return undefined;
  }

  /** @internal the hub took it back */
  _lose(reason) {
    if (this.#lostReason !== undefined) return;
    this.#lostReason = new LindyError(Code.LEASE_LOST, `lease ${this.id}: ${reason}`);
    this.#lost?.abort(this.#lostReason);
  }
}

// The options each call knows; any other name is an INVALID_CONFIG error.
const TRANSFER = ["transfer"];
const WAIT = ["signal", "timeoutMs"];
const TAKE = ["signal", "timeoutMs", "transfer"];
const LEASE = ["signal", "timeoutMs", "leaseMs"];
const CONNECT = ["heartbeatMs", "locks", "clientId"];

/** The remote Space. Every method returns a Promise; see the wasm `Space` for semantics. */
export class RemoteSpace {
  /** This client's id (also the suffix of the Web Lock it holds). */
  clientId;
  /** Counters: messages and operations sent, messages received. */
  stats = { messagesOut: 0, ops: 0, messagesIn: 0 };

  #port;
  #calls = new CallTable();
  #leases = new Map(); // lease id -> Lease
  // The batch being built, written in place (no record per operation): one row per operation in
  // `#frame`, this batch's key table, the payloads in row order, and per row its transfer list.
  #frame = new Frame(OP_WIDTH);
  #keys = [];
  #keyIndex = new Map();
  #values = [];
  #transfers = null; // null, or Map<row, Transferable[]>
  #scheduled = false;
  #closed = null;
  #sentSinceTick = false;
  #heartbeat;
  #releaseLock;
  #unlisten = [];

  constructor(port, opts) {
    if (!port || typeof port.postMessage !== "function") throw typeError("connect(port): port must be a MessagePort");
    opts = checkOptions(opts, CONNECT, "connect");
    this.#port = port;
    this.clientId = opts.clientId ?? randomId();
    this.#unlisten.push(listen(port, "message", (e) => this.#onMessage(e.data)));
    this.#unlisten.push(listen(port, "close", () => this.#shutdown("the hub's port closed")));
    this.#unlisten.push(
      listen(port, "messageerror", () => {
        // A reply we cannot deserialize: its calls can never settle. Leave, so the hub returns
        // our leases and every pending call rejects with CLOSED.
        this.#post({ t: "bye" });
        this.#shutdown("a reply from the hub could not be deserialized");
      }),
    );
    port.start?.();

    const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    checkMs(heartbeatMs, "heartbeatMs", "connect");
    if (heartbeatMs > 0) {
      this.#heartbeat = unrefTimer(
        setInterval(() => {
          if (!this.#sentSinceTick) this.#post({ t: "ping" });
          this.#sentSinceTick = false;
        }, heartbeatMs),
      );
    }

    const locks = opts.locks === undefined ? globalThis.navigator?.locks ?? null : opts.locks;
    if (locks) {
      const lock = CLIENT_LOCK_PREFIX + this.clientId;
      // Held until disconnect() or until this thread dies — then the hub's request is granted.
      locks
        .request(lock, () => {
          this.#post({ t: "hello", clientId: this.clientId, lock });
          return new Promise((resolve) => {
            this.#releaseLock = resolve;
          });
        })
        .catch(() => {});
    } else {
      this.#post({ t: "hello", clientId: this.clientId });
    }
  }

  /** Appends `value` under `key`. `{transfer: true}` moves its ArrayBuffers instead of copying them. */
  push(key, value, opts) {
    checkKey(key, "push");
    opts = checkOptions(opts, TRANSFER, "RemoteSpace.push");
    if (value === undefined) return Promise.reject(typeError("push: value must not be undefined"));
    return this._call(Op.OUT, key, NaN, NaN, value, transfersFor(value, opts.transfer));
  }

  /**
   * Takes the head entry of `key`, waiting until there is one. At-most-once (see the module doc).
   * `signal` / `timeoutMs` cancel the wait on the hub: nothing is taken, or — if the entry was
   * already on its way — it is put back at the head of the key. `{transfer: true}` asks the hub to
   * move the entry's ArrayBuffers rather than copy them.
   */
  take(key, opts) {
    checkKey(key, "take");
    opts = checkOptions(opts, TAKE, "RemoteSpace.take");
    return this.#wait(Op.TAKE, key, timeout(opts, "take"), opts.transfer ? 1 : 0, opts.signal);
  }

  /** Resolves to the head entry of `key` without removing it, waiting until there is one. */
  peek(key, opts) {
    checkKey(key, "peek");
    opts = checkOptions(opts, WAIT, "RemoteSpace.peek");
    return this.#wait(Op.READ, key, timeout(opts, "peek"), 0, opts.signal);
  }

  /** Appends every element of `values` under `key`, in order. `{transfer: true}` moves their buffers. */
  pushMany(key, values, opts) {
    checkKey(key, "pushMany");
    opts = checkOptions(opts, TRANSFER, "RemoteSpace.pushMany");
    if (!Array.isArray(values)) throw typeError("pushMany: values must be an array");
    if (values.some((v) => v === undefined)) return Promise.reject(typeError("pushMany: values must not contain undefined"));
    const transfer = opts.transfer === true ? values.flatMap((v) => transfersFor(v, true)) : transfersFor(values, opts.transfer);
    return this._call(Op.OUT_MANY, key, NaN, NaN, values, transfer);
  }

  /** Takes up to `max` of the oldest entries of `key` without waiting (an array, maybe empty). */
  takeMany(key, max, opts) {
    checkKey(key, "takeMany");
    opts = checkOptions(opts, TRANSFER, "RemoteSpace.takeMany");
    if (!Number.isInteger(max) || max < 0 || max > 1_048_576) throw rangeError(`takeMany: max must be an integer in [0, 1048576], got ${String(max)}`);
    return this._call(Op.TAKE_MANY, key, max, opts.transfer ? 1 : 0);
  }

  /** Takes the head entry of `key` if there is one (`undefined` otherwise). */
  tryTake(key, opts) {
    checkKey(key, "tryTake");
    opts = checkOptions(opts, TRANSFER, "RemoteSpace.tryTake");
    return this._call(Op.TRY_TAKE, key, NaN, opts.transfer ? 1 : 0);
  }

  /** The head entry of `key` if there is one (`undefined` otherwise), not removed. */
  tryPeek(key) {
    checkKey(key, "tryPeek");
    return this._call(Op.TRY_READ, key);
  }

  /** @deprecated Renamed `push` (docs/vocabulary.md). */
  out(key, value, opts) {
    return this.push(key, value, opts);
  }

  /** @deprecated Renamed `pushMany`. */
  outMany(key, values, opts) {
    return this.pushMany(key, values, opts);
  }

  /** @deprecated Renamed `peek`. */
  read(key, opts) {
    return this.peek(key, opts);
  }

  /** @deprecated Renamed `tryPeek`. */
  tryRead(key) {
    return this.tryPeek(key);
  }

  /** Number of entries under `key`. */
  len(key) {
    checkKey(key, "len");
    return this._call(Op.LEN, key);
  }

  /** Closes the SPACE (for every client). To leave, use `disconnect()`. */
  close() {
    return this._call(Op.CLOSE, null);
  }

  /** Takes the head entry of the first key matching `pattern` (a pattern string): `{key, value}`. */
  takeMatching(pattern, opts) {
    opts = checkOptions(opts, TAKE, "RemoteSpace.takeMatching");
    if (typeof pattern !== "string") throw typeError("takeMatching: pattern must be a string on a remote space");
    return this.#wait(Op.TAKE_MATCHING, pattern, timeout(opts, "takeMatching"), opts.transfer ? 1 : 0, opts.signal);
  }

  /** `{key, value}` of the oldest entry under a key matching `pattern`, taken, or `undefined`. */
  tryTakeMatching(pattern, opts) {
    opts = checkOptions(opts, TRANSFER, "RemoteSpace.tryTakeMatching");
    if (typeof pattern !== "string") throw typeError("tryTakeMatching: pattern must be a string on a remote space");
    return this._call(Op.TRY_TAKE_MATCHING, pattern, NaN, opts.transfer ? 1 : 0);
  }

  /** Entries queued across all keys (the local Space's `size` getter, as a call). */
  size() {
    return this._call(Op.SIZE, null);
  }

  /** Whether the space was closed (the local Space's `isClosed` getter, as a call). */
  isClosed() {
    return this._call(Op.IS_CLOSED, null);
  }

  /** The keys holding entries, sorted. */
  keys() {
    return this._call(Op.KEYS, null);
  }

  /** `for await (const v of remote.takeEach(key))`: takes entries one at a time until the space closes. */
  async *takeEach(key, opts) {
    checkKey(key, "takeEach");
    opts = checkOptions(opts, TAKE, "RemoteSpace.takeEach");
    for (;;) {
      let v;
      try {
        v = await this.take(key, opts);
      } catch (err) {
        if (err?.code === Code.CLOSED) return;
        throw err;
      }
      yield v;
    }
  }

  /**
   * Takes the head entry of `key` under a lease of `leaseMs` (the hub's default: 30 s). Resolves to
   * a `Lease`: `ack()` removes the entry; `nack()`, expiry, or this client's death put it back at
   * the head of `key` — at-least-once delivery.
   */
  takeLeased(key, opts) {
    checkKey(key, "takeLeased");
    opts = checkOptions(opts, LEASE, "RemoteSpace.takeLeased");
    checkMs(opts.leaseMs, "leaseMs", "takeLeased");
    if (opts.leaseMs === 0) throw new LindyError(Code.LEASE_INVALID, "takeLeased: leaseMs must be > 0");
    return this.#wait(Op.LEASE, key, timeout(opts, "takeLeased"), opts.leaseMs ?? NaN, opts.signal);
  }

  /** Leases this client holds and has not settled. */
  get leased() {
    return this.#leases.size;
  }

  /**
   * Leaves: pending calls reject with `CLOSED`, the hub returns this client's leased entries to
   * the head of their keys, the Web Lock is released. The space stays open for others.
   */
  disconnect() {
    if (this.#closed) return;
    this.#flush();
    this.#post({ t: "bye" });
    this.#shutdown("disconnected");
  }

  /** Sends queued operations now instead of at the end of the microtask checkpoint. */
  flush() {
    this.#flush();
  }

  /** @internal queues one operation; resolves with its result. */
  _call(code, key, a = NaN, b = NaN, value, transfer, signal) {
    if (this.#closed) return Promise.reject(closedError(this.#closed));
    const call = this.#calls.open();
    if (call === undefined) {
      return Promise.reject(new LindyError(Code.BUFFER_FULL, `${OP_NAME[code]}: ${MAX_CALLS} calls are already in flight on this client`));
    }
    const promise = new Promise(capture);
    call.resolve = captured.resolve;
    call.reject = captured.reject;
    call.code = code;
    call.key = key;
    call.a = a;
    if (signal) this.#onAbort(call.id, call, signal);
    this.#enqueue(call.id, code, key, a, b, value, transfer);
    return promise;
  }

  // A wait the caller can abort.
  #wait(code, key, timeoutMs, b, signal) {
    if (signal?.aborted) return Promise.reject(abortError(signal, OP_NAME[code]));
    return this._call(code, key, timeoutMs, b, undefined, undefined, signal);
  }

  // Abort rejects at once and tells the hub to cancel. If the entry was already on its way, its
  // result finds the call abandoned and #giveBack returns it to the head.
  #onAbort(id, call, signal) {
    const onAbort = () => {
      if (this.#calls.get(id) !== call) return;
      call.abandoned = true;
      this.#enqueue(0, Op.CANCEL, null, id, NaN);
      call.reject(abortError(signal, OP_NAME[call.code]));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    call.off = () => signal.removeEventListener("abort", onAbort);
  }

  // Writes one operation into the batch; the batch goes at the end of this microtask checkpoint.
  #enqueue(id, code, key, a, b, value, transfer) {
    const frame = this.#frame;
    if (transfer?.length) (this.#transfers ??= new Map()).set(frame.length, transfer);
    const at = frame.row();
    const cells = frame.cells;
    cells[at] = id;
    cells[at + 1] = code;
    cells[at + 2] = key == null ? -1 : this.#keyOf(key);
    cells[at + 3] = a;
    cells[at + 4] = b;
    if (carriesValue(code)) this.#values.push(value);
    this.stats.ops++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushTask);
    }
  }

  // The index of `key` in this batch's key table.
  #keyOf(key) {
    let i = this.#keyIndex.get(key);
    if (i === undefined) {
      i = this.#keys.length;
      this.#keys.push(key);
      this.#keyIndex.set(key, i);
    }
    return i;
  }

  #flushTask = () => this.#flush();

  #flush() {
    this.#scheduled = false;
    const frame = this.#frame;
    if (frame.length === 0) return;
    const keys = this.#keys;
    const values = this.#values;
    const transfers = this.#transfers;
    const h = frame.packed();
    const transfer = [h.buffer];
    if (transfers) {
      // Transferring one buffer twice is a DataCloneError: each goes once.
      const all = new Set();
      for (const list of transfers.values()) for (const t of list) all.add(t);
      transfer.push(...all);
    }
    try {
      this.#port.postMessage({ t: "b", h, k: keys, v: values }, transfer);
      this.stats.messagesOut++;
      this.#sentSinceTick = true;
    } catch {
      // Some value cannot be cloned. Nothing was sent (postMessage is all-or-nothing): send the
      // operations one by one and reject only those that fail.
      this.#sendOneByOne();
    }
    // Structured clone copied what it needed: the batch's containers are reused.
    frame.clear();
    keys.length = 0;
    this.#keyIndex.clear();
    values.length = 0;
    this.#transfers = null;
  }

  #sendOneByOne() {
    let vi = 0;
    for (let r = 0; r < this.#frame.length; r++) {
      const h = this.#frame.rowCopy(r);
      const id = h[0];
      const code = h[1];
      const k = h[2] >= 0 ? [this.#keys[h[2]]] : [];
      if (h[2] >= 0) h[2] = 0;
      const v = carriesValue(code) ? [this.#values[vi++]] : [];
      try {
        this.#port.postMessage({ t: "b", h, k, v }, this.#transfers?.get(r) ?? []);
        this.stats.messagesOut++;
        this.#sentSinceTick = true;
      } catch (err) {
        const call = this.#calls.get(id);
        if (call === undefined) continue;
        const reject = call.reject;
        call.off?.();
        this.#calls.close(call);
        reject(new LindyError(Code.NOT_CLONEABLE, `${OP_NAME[code]}: the value cannot be sent to the hub (${err?.message})`));
      }
    }
  }

  #post(msg) {
    if (this.#closed) return;
    try {
      this.#port.postMessage(msg);
      this.#sentSinceTick = true;
    } catch {
      // A dead port: #shutdown follows from the close event.
    }
  }

  #onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    this.stats.messagesIn++;
    if (msg.t === "bye") {
      this.#shutdown(`the hub closed the connection (${msg.reason})`);
      return;
    }
    if (msg.t !== "r") return;
    if (msg.lost) {
      for (const id of msg.lost) {
        this.#leases.get(id)?._lose("the lease expired; the entry is back at the head of its key");
        this.#leases.delete(id);
      }
    }
    const { h, v } = msg;
    let vi = 0;
    for (let r = 0; r < h.length; r += RES_WIDTH) {
      const id = h[r];
      const status = h[r + 1];
      const value = status === St.VALUE || status === St.LEASE || status === St.ERROR ? v[vi++] : undefined;
      const call = this.#calls.get(id);
      if (call === undefined) continue;
      const { resolve, reject, code, key, a, abandoned } = call;
      call.off?.();
      this.#calls.close(call);
      if (status === St.ERROR) {
        if (!abandoned) reject(fromWire(value));
        continue;
      }
      if (abandoned) {
        this.#giveBack(code, key, status, h[r + 2], value);
        continue;
      }
      if (code === Op.ACK || code === Op.NACK) this.#leases.delete(a);
      switch (status) {
        case St.VOID:
          resolve(undefined);
          break;
        case St.NUMBER:
          resolve(h[r + 2]);
          break;
        case St.LEASE: {
          const lease = new Lease(this, h[r + 2], key, value, h[r + 3]);
          this.#leases.set(lease.id, lease);
          resolve(lease);
          break;
        }
        default:
          resolve(value);
      }
    }
  }

  // The caller gave up on this wait but the hub had already produced its result.
  #giveBack(code, key, status, n1, value) {
    if (code === Op.TAKE_MANY && Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) this.#enqueue(0, Op.GIVE_BACK, key, NaN, NaN, value[i]);
    } else if (code === Op.TAKE && value !== undefined) {
      this.#enqueue(0, Op.GIVE_BACK, key, NaN, NaN, value);
    } else if (code === Op.TAKE_MATCHING && value) {
      this.#enqueue(0, Op.GIVE_BACK, value.key, NaN, NaN, value.value);
    } else if (status === St.LEASE) {
      this.#enqueue(0, Op.NACK, null, n1, NaN);
    }
    // read / tryRead / len took nothing.
  }

  #shutdown(why) {
    if (this.#closed) return;
    this.#closed = why;
    clearInterval(this.#heartbeat);
    this.#releaseLock?.();
    for (const off of this.#unlisten) off();
    for (const call of this.#calls.live()) {
      const { reject, abandoned } = call;
      call.off?.();
      this.#calls.close(call);
      if (!abandoned) reject(closedError(why));
    }
    for (const lease of this.#leases.values()) lease._lose(why);
    this.#leases.clear();
    this.#port.close?.();
  }
}

// One executor for every call's Promise (no closure per call): it hands resolve/reject over here.
const captured = { resolve: undefined, reject: undefined };
function capture(resolve, reject) {
  captured.resolve = resolve;
  captured.reject = reject;
}

function timeout(opts, where) {
  if (opts.timeoutMs === Infinity) return NaN; // no timeout
  checkMs(opts.timeoutMs, "timeoutMs", where);
  return opts.timeoutMs ?? NaN;
}

function closedError(why) {
  return new LindyError(Code.CLOSED, `remote space: ${why}`);
}

// `using` disconnects.
disposeBy(RemoteSpace, "disconnect");
