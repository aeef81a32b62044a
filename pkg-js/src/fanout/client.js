// The client: the Space API, as Promises, over a port served by `serve` on the owning thread.
//
// Every call is queued and the queue is posted as ONE message at the end of the current
// microtask checkpoint, so `await Promise.all(jobs.map(j => remote.out("jobs", j)))` costs one
// postMessage, not one per job. Results come back batched the same way.
//
// Delivery: plain `take` is AT-MOST-ONCE — once the hub has taken an entry and posted it, a worker
// that dies before reading the message loses it. Use `takeLeased` + `ack()` when a job must not be
// lost: the hub keeps the entry until the ack and puts it back at the head of its key otherwise.

import {
  Code,
  LindyError,
  Op,
  abortError,
  checkKey,
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
export function connect(port, opts = {}) {
  return new RemoteSpace(port, opts);
}

/** A leased entry: `ack()` when done, `nack()` to give it back now. */
export class Lease {
  #client;
  #settled = false;
  #lost = new AbortController();

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
    return this.#lost.signal;
  }

  /** Done: the entry is removed for good. Rejects with `LEASE_LOST` if the hub took it back first. */
  ack() {
    return this.#settle("ack") ?? this.#client._call(Op.ack, [this.id]);
  }

  /** Not done: the entry goes back to the head of its key now. */
  nack() {
    return this.#settle("nack") ?? this.#client._call(Op.nack, [this.id]);
  }

  /** Keeps the lease for `leaseMs` more milliseconds from now. Resolves to the new deadline. */
  async extend(leaseMs) {
    checkMs(leaseMs, "leaseMs", "lease.extend");
    this.deadline = await this.#client._call(Op.extend, [this.id, leaseMs]);
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
    this.#lost.abort(new LindyError(Code.LEASE_LOST, `lease ${this.id}: ${reason}`));
  }
}

/** The remote Space. Every method returns a Promise; see the wasm `Space` for semantics. */
export class RemoteSpace {
  /** This client's id (also the suffix of the Web Lock it holds). */
  clientId;

  #port;
  #nextId = 1;
  #calls = new Map(); // id -> { resolve, reject, op, key, abandoned, off }
  #leases = new Map(); // lease id -> Lease
  #queue = [];
  #transfer = [];
  #scheduled = false;
  #closed = null;
  #sentSinceTick = false;
  #heartbeat;
  #releaseLock;
  #unlisten = [];
  /** Counters: messages and operations sent. */
  stats = { messagesOut: 0, ops: 0, messagesIn: 0 };

  constructor(port, opts = {}) {
    if (!port || typeof port.postMessage !== "function") throw new TypeError("connect(port): port must be a MessagePort");
    this.#port = port;
    this.clientId = opts.clientId ?? randomId();
    this.#unlisten.push(listen(port, "message", (e) => this.#onMessage(e.data ?? e)));
    this.#unlisten.push(listen(port, "close", () => this.#shutdown("the hub's port closed")));
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
  out(key, value, opts = {}) {
    checkKey(key, "out");
    if (value === undefined) return Promise.reject(new TypeError("out: value must not be undefined"));
    return this._call(Op.out, [key, value], { transfer: transfersFor(value, opts.transfer) });
  }

  /**
   * Takes the head entry of `key`, waiting until there is one. At-most-once (see the module doc).
   * `signal` / `timeoutMs` cancel the wait on the hub: nothing is taken, or — if the entry was
   * already on its way — it is put back at the head of the key. `{transfer: true}` asks the hub to
   * move the entry's ArrayBuffers rather than copy them.
   */
  take(key, opts = {}) {
    checkKey(key, "take");
    return this.#wait(Op.take, key, [key, waitArgs(opts, "take")], opts.signal);
  }

  /** Resolves to the head entry of `key` without removing it, waiting until there is one. */
  read(key, opts = {}) {
    checkKey(key, "read");
    return this.#wait(Op.read, key, [key, waitArgs(opts, "read")], opts.signal);
  }

  /** Takes the head entry of `key` if there is one (`undefined` otherwise). */
  tryTake(key, opts = {}) {
    checkKey(key, "tryTake");
    return this._call(Op.tryTake, [key, opts.transfer ? 1 : 0]);
  }

  /** The head entry of `key` if there is one (`undefined` otherwise), not removed. */
  tryRead(key) {
    checkKey(key, "tryRead");
    return this._call(Op.tryRead, [key]);
  }

  /** Number of entries under `key`. */
  len(key) {
    checkKey(key, "len");
    return this._call(Op.len, [key]);
  }

  /** Closes the SPACE (for every client). To leave, use `disconnect()`. */
  close() {
    return this._call(Op.close, []);
  }

  /** Takes the head entry of the first key matching `pattern` (a pattern string); see `Space.takeMatching`. */
  takeMatching(pattern, opts = {}) {
    if (typeof pattern !== "string") throw new TypeError("takeMatching: pattern must be a string on a remote space");
    return this.#wait(Op.takeMatching, null, [pattern, waitArgs(opts, "takeMatching")], opts.signal);
  }

  /** `for await (const v of remote.takeEach(key))`: takes entries one at a time until the space closes. */
  async *takeEach(key, opts = {}) {
    checkKey(key, "takeEach");
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
   * Takes the head entry of `key` under a lease of `leaseMs` (hub default 30 s). Resolves to a
   * `Lease`: `ack()` removes the entry; `nack()`, expiry, or this client's death put it back at the
   * head of `key` — at-least-once delivery.
   */
  takeLeased(key, opts = {}) {
    checkKey(key, "takeLeased");
    checkMs(opts.leaseMs, "leaseMs", "takeLeased");
    const args = waitArgs(opts, "takeLeased");
    if (opts.leaseMs !== undefined) args.leaseMs = opts.leaseMs;
    return this.#wait(Op.lease, key, [key, args], opts.signal).then(([id, value, deadline]) => {
      const lease = new Lease(this, id, key, value, deadline);
      this.#leases.set(id, lease);
      return lease;
    });
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

  /** @internal queue one operation; resolves with its result. */
  _call(op, args, { transfer, track } = {}) {
    if (this.#closed) return Promise.reject(closedError(this.#closed));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const call = { resolve, reject, op, key: args[0], abandoned: false, off: undefined };
      this.#calls.set(id, call);
      track?.(id, call);
      this.#enqueue([id, op, ...args], transfer);
    });
  }

  // A wait the caller can abort. Abort rejects at once; the hub is told to cancel. If the entry was
  // already on its way, the reply finds the call abandoned and sends it back to the head.
  #wait(op, key, args, signal) {
    if (signal?.aborted) return Promise.reject(abortError(signal, op));
    return this._call(op, args, {
      track: (id, call) => {
        if (!signal) return;
        const onAbort = () => {
          if (!this.#calls.has(id)) return;
          call.abandoned = true;
          this.#enqueue([0, Op.cancel, id]);
          call.reject(abortError(signal, op));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        call.off = () => signal.removeEventListener("abort", onAbort);
      },
    });
  }

  #enqueue(op, transfer) {
    this.#queue.push(op);
    this.stats.ops++;
    if (transfer) for (const t of transfer) this.#transfer.push(t);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush() {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const ops = this.#queue;
    const transfer = [...new Set(this.#transfer)];
    this.#queue = [];
    this.#transfer = [];
    try {
      this.#port.postMessage({ t: "b", o: ops }, transfer);
      this.stats.messagesOut++;
      this.#sentSinceTick = true;
    } catch (batchErr) {
      // Some value cannot be cloned. Nothing was sent (postMessage is all-or-nothing): send the
      // operations one by one and reject only those that fail.
      for (const op of ops) {
        const mine = transfer.filter((t) => opMentions(op, t));
        try {
          this.#port.postMessage({ t: "b", o: [op] }, mine);
          this.stats.messagesOut++;
        } catch (err) {
          const call = this.#calls.get(op[0]);
          this.#calls.delete(op[0]);
          call?.off?.();
          call?.reject(
            new LindyError(Code.NOT_CLONEABLE, `${op[1]}: the value cannot be sent to the hub (${err.message})`, { cause: batchErr }),
          );
        }
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
    for (const [id, ok, value] of msg.r) {
      const call = this.#calls.get(id);
      if (!call) continue;
      this.#calls.delete(id);
      call.off?.();
      if (call.abandoned) {
        if (ok) this.#giveBack(call, value);
        continue;
      }
      if (call.op === Op.ack || call.op === Op.nack) this.#leases.delete(call.key);
      if (ok) call.resolve(value);
      else call.reject(fromWire(value));
    }
  }

  // The caller gave up on this wait but the hub had already produced its result.
  #giveBack(call, value) {
    if (call.op === Op.take) this.#enqueue([0, Op.giveBack, call.key, value]);
    else if (call.op === Op.takeMatching && value) this.#enqueue([0, Op.giveBack, value.key, value.value]);
    else if (call.op === Op.lease) this.#enqueue([0, Op.nack, value[0]]);
    // read / tryRead / len took nothing.
  }

  #shutdown(why) {
    if (this.#closed) return;
    this.#closed = why;
    clearInterval(this.#heartbeat);
    this.#releaseLock?.();
    for (const off of this.#unlisten) off();
    for (const call of this.#calls.values()) {
      call.off?.();
      if (!call.abandoned) call.reject(closedError(why));
    }
    this.#calls.clear();
    for (const lease of this.#leases.values()) lease._lose(why);
    this.#leases.clear();
    this.#port.close?.();
  }
}

function waitArgs(opts, where) {
  checkMs(opts.timeoutMs, "timeoutMs", where);
  const args = {};
  if (opts.timeoutMs !== undefined) args.timeoutMs = opts.timeoutMs;
  if (opts.transfer) args.transfer = 1;
  return args;
}

function closedError(why) {
  return new LindyError(Code.CLOSED, `remote space: ${why}`);
}

function opMentions(op, transferable) {
  const v = op[3];
  return v === transferable || v?.buffer === transferable || (v && typeof v === "object" && Object.values(v).some((x) => x === transferable || x?.buffer === transferable));
}
