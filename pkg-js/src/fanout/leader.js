// One tab owns a durable IdbStore queue; the other tabs of the origin forward to it.
//
// Why a leader: every tab could open the IndexedDB queue itself, but then a blocking `pull` in one
// tab would never see a `push` from another (IndexedDB has no change notification), and each
// tab's group commit would be defeated by the others. So exactly one tab — the holder of the Web
// Lock `lindy.leader.<db>` — opens the store; the others send it their operations over a
// BroadcastChannel and get the results back.
//
// Failover: the lock is released when the leader tab closes, crashes, or calls `close()`; the
// browser grants it to the next waiting tab, which opens the store, announces itself, and every
// follower re-sends the operations that had no answer yet.
//
// Delivery across a failover (be precise, it is the fine print):
// - an operation whose answer was received happened exactly once;
// - a `push` whose leader died after its transaction committed but before its answer went out is
//   re-sent to the new leader: the entry may be stored twice (at-least-once for pushes);
// - a `pull` answered by a leader that then died before the answer arrived is lost with that
//   message, like a plain `take` (at-most-once for pulls). A waiting pull that had taken nothing
//   when its leader died is simply re-sent.
// A follower that dies while its pull waits in the leader is noticed through the Web Lock it
// holds for its lifetime: the leader cancels that pull (nothing is taken).

import { disposeBy } from "../dispose.js";
import { typeError } from "../errors.js";
import { Code, LindyError, abortError, checkKey, checkOptions, fromWire, randomId, toWire } from "./protocol.js";

const OPS = new Set(["push", "pull", "tryPull", "peek", "len", "keys"]);

/**
 * Opens the shared durable queue `dbName` from this tab (or worker).
 *
 * @param {string} dbName the IndexedDB database name (one leader per name)
 * @param {object} opts
 * @param {(dbName: string) => Promise<object>} opts.open opens the store, e.g. `(n) => IdbStore.open(n)`
 * @param {LockManager} [opts.locks] `navigator.locks` by default
 * @param {typeof BroadcastChannel} [opts.BroadcastChannel]
 * @param {string} [opts.nodeId] this tab's id (random by default)
 * @param {(role: "leader"|"follower", leaderId: string|null) => void} [opts.onRoleChange]
 * @returns {SharedQueue}
 */
export function openSharedQueue(dbName, opts) {
  return new SharedQueue(dbName, opts);
}

export class SharedQueue {
  /** This tab's id. */
  nodeId;
  /** `"leader"` when this tab owns the store, `"follower"` otherwise, `"closed"` after close(). */
  role = "follower";
  /** The current leader's node id, once known. */
  leaderId = null;

  #dbName;
  #open;
  #locks;
  #bc;
  #onRoleChange;
  #store = null;
  #storeReady = null; // Promise<store> while becoming leader
  #stepDown = null; // releases the leader lock
  #life = new AbortController();
  #nextId = 1;
  #calls = new Map(); // id -> { op, args, resolve, reject, cancelled }
  #served = new Map(); // leader side: `${from}:${id}` -> { ctl, done } of an operation in progress
  #watched = new Set(); // leader side: followers whose liveness lock we are waiting for
  #releaseNodeLock;

  constructor(dbName, opts) {
    if (typeof dbName !== "string" || dbName === "") throw typeError("openSharedQueue: dbName must be a non-empty string");
    opts = checkOptions(opts, ["open", "locks", "BroadcastChannel", "nodeId", "onRoleChange"], "openSharedQueue");
    if (typeof opts.open !== "function") throw typeError("openSharedQueue: opts.open (e.g. n => IdbStore.open(n)) is required");
    this.#locks = opts.locks ?? globalThis.navigator?.locks;
    if (!this.#locks) throw typeError("openSharedQueue: Web Locks (navigator.locks) are not available here");
    const BC = opts.BroadcastChannel ?? globalThis.BroadcastChannel;
    this.#dbName = dbName;
    this.#open = opts.open;
    this.#onRoleChange = opts.onRoleChange ?? (() => {});
    this.nodeId = opts.nodeId ?? randomId();
    this.#bc = new BC(`lindy.leader.${dbName}`);
    this.#bc.onmessage = (e) => this.#onMessage(e.data);

    // Held for this tab's lifetime so the leader learns when we die (see #watch).
    this.#locks
      .request(this.#nodeLock(this.nodeId), { signal: this.#life.signal }, () => new Promise((r) => (this.#releaseNodeLock = r)))
      .catch(() => {});
    // Queue for leadership; granted now if there is no leader, or when the leader goes away.
    this.#locks
      .request(`lindy.leader.${dbName}`, { signal: this.#life.signal }, () => this.#lead())
      .catch(() => {});
    this.#bc.postMessage({ t: "who", from: this.nodeId });
  }

  /** Appends `bytes` (a Uint8Array) under `key`; resolves once committed by the leader. */
  push(key, bytes) {
    checkKey(key, "push");
    if (!(bytes instanceof Uint8Array)) return Promise.reject(typeError("push: bytes must be a Uint8Array"));
    return this.#call("push", [key, bytes]);
  }

  /**
   * Removes and returns the head of `key`, waiting for one. On abort: rejects with `ABORTED` once
   * the leader confirms nothing was taken; if a value won the race, resolves with it (never lost).
   */
  take(key, { signal } = {}) {
    checkKey(key, "take");
    // On the wire between tabs the operation keeps its first name, so tabs running the previous
    // version of the package still understand each other.
    return this.#call("pull", [key], signal);
  }

  /** The head of `key` removed, or `undefined`. */
  tryTake(key) {
    checkKey(key, "tryTake");
    return this.#call("tryPull", [key]);
  }

  /** @deprecated Renamed `take` (docs/vocabulary.md). */
  pull(key, options) {
    return this.take(key, options);
  }

  /** @deprecated Renamed `tryTake`. */
  tryPull(key) {
    return this.tryTake(key);
  }

  /** The head of `key` without removing it, or `undefined`. */
  peek(key) {
    checkKey(key, "peek");
    return this.#call("peek", [key]);
  }

  /** Entries under `key`. */
  len(key) {
    checkKey(key, "len");
    return this.#call("len", [key]);
  }

  /** Keys with entries. */
  keys() {
    return this.#call("keys", []);
  }

  /** Leaves: a leader steps down (the next tab takes over); pending calls reject with `CLOSED`. */
  close() {
    if (this.role === "closed") return;
    const wasLeader = this.role === "leader";
    this.#setRole("closed", null);
    this.#life.abort();
    for (const call of this.#calls.values()) call.reject(new LindyError(Code.CLOSED, `shared queue ${this.#dbName}: closed`));
    this.#calls.clear();
    this.#releaseNodeLock?.();
    if (!wasLeader) {
      this.#bc.close();
      return;
    }
    // Stepping down: cancel the followers' waiting pulls (they took nothing and are re-sent to the
    // next leader, so they get no answer from us), let the operations already under way answer,
    // then close the store and hand the lock on.
    const inFlight = [...this.#served.values()];
    for (const op of inFlight) {
      op.stepDown = true;
      op.ctl.abort();
    }
    Promise.allSettled(inFlight.map((op) => op.done)).then(() => {
      // After the answers (BroadcastChannel keeps one sender's order), before the lock is handed
      // on: the next leader has opened its store — several event-loop turns — by the time it
      // re-runs what had no answer, so an answered push is not pushed twice.
      this.#bc.postMessage({ t: "stepdown", from: this.nodeId });
      this.#store?.close?.();
      this.#store = null;
      this.#stepDown?.();
      this.#bc.close();
    });
  }

  #nodeLock(nodeId) {
    return `lindy.leader.${this.#dbName}.node.${nodeId}`;
  }

  #setRole(role, leaderId) {
    const changed = role !== this.role || leaderId !== this.leaderId;
    this.role = role;
    this.leaderId = leaderId;
    if (changed) this.#onRoleChange(role, leaderId);
  }

  // We hold the leader lock: open the store, announce, serve until close() or the tab dies.
  async #lead() {
    if (this.role === "closed") return;
    this.#storeReady = this.#open(this.#dbName);
    try {
      this.#store = await this.#storeReady;
    } catch (err) {
      // Cannot open the store: fail our callers, let someone else try.
      for (const call of this.#calls.values()) call.reject(err);
      this.#calls.clear();
      this.#storeReady = null;
      return;
    }
    if (this.role === "closed") {
      this.#store.close?.();
      return;
    }
    this.#setRole("leader", this.nodeId);
    this.#bc.postMessage({ t: "leader", from: this.nodeId });
    // Our own calls that were waiting for a leader now run here.
    for (const [id, call] of this.#calls) this.#runLocal(id, call);
    await new Promise((resolve) => (this.#stepDown = resolve));
  }

  #call(op, args, signal) {
    if (this.role === "closed") return Promise.reject(new LindyError(Code.CLOSED, `shared queue ${this.#dbName}: closed`));
    if (signal?.aborted) return Promise.reject(abortError(signal, op));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const call = { op, args, resolve, reject, cancelled: false, signal };
      this.#calls.set(id, call);
      if (signal) {
        signal.addEventListener("abort", () => this.#cancel(id, call), { once: true });
      }
      if (this.role === "leader") this.#runLocal(id, call);
      else if (this.leaderId) this.#send(id, call);
      // else: sent when a leader announces itself.
    });
  }

  #cancel(id, call) {
    if (!this.#calls.has(id)) return;
    call.cancelled = true;
    if (call.local) call.local.abort(call.signal.reason);
    else if (call.sentTo) this.#bc.postMessage({ t: "cancel", from: this.nodeId, to: call.sentTo, id });
    else {
      // Never left this tab: nothing can have been taken.
      this.#calls.delete(id);
      call.reject(abortError(call.signal, call.op));
    }
  }

  #send(id, call) {
    call.sentTo = this.leaderId;
    if (call.cancelled) {
      this.#calls.delete(id);
      call.reject(abortError(call.signal, call.op));
      return;
    }
    this.#bc.postMessage({ t: "req", from: this.nodeId, to: this.leaderId, id, op: call.op, args: call.args });
  }

  async #runLocal(id, call) {
    call.sentTo = this.nodeId;
    const ctl = new AbortController();
    call.local = ctl;
    if (call.cancelled) ctl.abort(call.signal.reason);
    try {
      const value = await this.#exec(call.op, call.args, ctl.signal);
      this.#calls.delete(id);
      call.resolve(value);
    } catch (err) {
      this.#calls.delete(id);
      call.reject(err);
    }
  }

  async #exec(op, args, signal) {
    const store = this.#store ?? (await this.#storeReady);
    switch (op) {
      case "push":
        return await store.push(args[0], args[1]);
      case "pull":
        // The store's new name where it has it (IdbStore.take), else the old one.
        return await (typeof store.take === "function" ? store.take(args[0], { signal }) : store.pull(args[0], { signal }));
      case "tryPull":
        return await (typeof store.tryTake === "function" ? store.tryTake(args[0]) : store.tryPull(args[0]));
      case "peek":
        return await store.peek(args[0]);
      case "len":
        return await store.len(args[0]);
      case "keys":
        return await store.keys();
      default:
        throw typeError(`shared queue: unknown operation ${op}`);
    }
  }

  #onMessage(m) {
    if (!m || typeof m !== "object" || m.from === this.nodeId) return;
    if (this.role === "closed" && m.t !== "res") return;
    switch (m.t) {
      case "who":
        if (this.role === "leader") this.#bc.postMessage({ t: "leader", from: this.nodeId });
        break;
      case "leader":
        if (this.role === "leader") break; // cannot happen while we hold the lock
        this.#setRole("follower", m.from);
        // Everything without an answer goes to the new leader (see the fine print above).
        for (const [id, call] of this.#calls) if (call.sentTo !== m.from) this.#send(id, call);
        break;
      case "stepdown":
        if (this.leaderId === m.from) this.#setRole("follower", null);
        break;
      case "req":
        if (m.to === this.nodeId && this.role === "leader") this.#serve(m);
        break;
      case "cancel":
        if (m.to === this.nodeId) this.#served.get(`${m.from}:${m.id}`)?.abort();
        break;
      case "res":
        if (m.to === this.nodeId) this.#answer(m);
        break;
      default:
        break;
    }
  }

  async #serve(m) {
    const tag = `${m.from}:${m.id}`;
    if (!OPS.has(m.op) || !Array.isArray(m.args)) {
      this.#bc.postMessage({ t: "res", from: this.nodeId, to: m.from, id: m.id, ok: 0, v: toWire(typeError(`unknown operation ${m.op}`)) });
      return;
    }
    const op = { ctl: new AbortController(), stepDown: false, done: undefined };
    this.#served.set(tag, op);
    if (m.op === "pull") this.#watch(m.from);
    op.done = this.#exec(m.op, m.args, op.ctl.signal).then(
      (v) => this.#bc.postMessage({ t: "res", from: this.nodeId, to: m.from, id: m.id, ok: 1, v }),
      (err) => {
        // Cancelled by our step-down: no answer, the follower re-sends it to the next leader.
        if (!op.stepDown) this.#bc.postMessage({ t: "res", from: this.nodeId, to: m.from, id: m.id, ok: 0, v: toWire(err) });
      },
    );
    await op.done.finally(() => this.#served.delete(tag));
  }

  // A follower with a waiting pull here: when its lifetime lock comes free, it is gone — cancel
  // what it was waiting for so nothing is pulled for nobody.
  #watch(nodeId) {
    if (this.#watched.has(nodeId)) return;
    this.#watched.add(nodeId);
    this.#locks
      .request(this.#nodeLock(nodeId), { signal: this.#life.signal }, () => {
        this.#watched.delete(nodeId);
        for (const [tag, op] of this.#served) if (tag.startsWith(`${nodeId}:`)) op.ctl.abort();
      })
      .catch(() => {});
  }

  #answer(m) {
    const call = this.#calls.get(m.id);
    if (!call) return;
    this.#calls.delete(m.id);
    if (m.ok) call.resolve(m.v);
    else if (call.cancelled && m.v?.code === Code.ABORTED) call.reject(abortError(call.signal, call.op));
    else call.reject(fromWire(m.v));
  }
}

// `using` closes.
disposeBy(SharedQueue, "close");
