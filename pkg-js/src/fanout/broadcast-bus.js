// A BroadcastChannel implementation of the channel manager's EventBus seam.
//
// The seam (src/channels/bus.rs): outbound, the manager calls `publish(event)` for every event it
// emits locally — after its own subscribers got it — and `publish` must not block; inbound, the
// bus calls `manager.applyRemote(event)` for every event from another node. Here a node is a tab
// or a worker of the origin, and BroadcastChannel reaches all of them. `attach(manager)` wires
// both halves; `run`/`subscribe` give the inbound half to anything else (the Go seed's
// `Run(ctx, onRemote)`).
//
// Guarantees:
// - no echo: every publication carries the publishing node's id and a node never delivers its own
//   (BroadcastChannel already skips the posting object, but a node may hold several channels of
//   the same name — in a page and in a module it imports, say — and those would see each other);
// - once: every publication carries a sequence number per publishing bus object, and a bus
//   delivers a given (origin, seq) at most once, even if a message were replayed.
// BroadcastChannel itself is best-effort between live contexts: a tab that is not open when an
// event is published never sees it. Lifecycle state lives in the Manager's registry, not the bus.

import { disposeBy } from "../dispose.js";
import { rangeError, typeError } from "../errors.js";
import { Code, LindyError, checkOptions, randomId } from "./protocol.js";

/** Default BroadcastChannel name. */
export const DEFAULT_BUS_CHANNEL = "lindy.channels.events";

/** Version tag on every envelope, so a future format can coexist with this one. */
const V = 1;

export class BroadcastBus {
  /** This node's id (a random UUID unless given). */
  nodeId;
  /** Counters: published, delivered, dropped (echo or duplicate), malformed. */
  stats = { published: 0, delivered: 0, dropped: 0, malformed: 0 };

  #channel;
  #seq = 0;
  // Sequence numbers are per bus object (`#origin`), not per node: two buses of one node count
  // separately and must not shadow each other's numbers.
  #origin = randomId();
  #lastSeen = new Map(); // origin -> highest seq delivered
  #subscribers = new Set();
  #closed = false;

  /**
   * @param {string} [name] the BroadcastChannel name (one per Manager you bridge)
   * @param {{nodeId?: string, BroadcastChannel?: typeof BroadcastChannel}} [opts]
   */
  constructor(name = DEFAULT_BUS_CHANNEL, opts) {
    opts = checkOptions(opts, ["nodeId", "BroadcastChannel"], "new BroadcastBus");
    const BC = opts.BroadcastChannel ?? globalThis.BroadcastChannel;
    if (typeof BC !== "function") throw typeError("BroadcastBus: BroadcastChannel is not available here");
    if (typeof name !== "string" || name === "") throw typeError("BroadcastBus: name must be a non-empty string");
    this.nodeId = opts.nodeId ?? randomId();
    this.#channel = new BC(name);
    this.#channel.onmessage = (e) => this.#onMessage(e.data);
    this.#channel.onmessageerror = () => this.stats.malformed++;
  }

  /**
   * Broadcasts `event` to every other node; never blocks (BroadcastChannel has no delivery
   * receipt). The event is sent as plain data: a wasm object is converted with its `toJSON()`.
   */
  publish(event) {
    if (this.#closed) throw new LindyError(Code.CLOSED, "BroadcastBus.publish: the bus is closed");
    const ev = typeof event?.toJSON === "function" ? event.toJSON() : event;
    this.#channel.postMessage({ v: V, from: this.nodeId, origin: this.#origin, seq: ++this.#seq, ev });
    this.stats.published++;
  }

  /**
   * Calls `onRemote(event, fromNodeId)` for every event published by another node, until `signal`
   * aborts or the bus closes (then the returned Promise resolves) — the Go `Run(ctx, onRemote)`.
   */
  run(onRemote, { signal } = {}) {
    if (typeof onRemote !== "function") throw typeError("BroadcastBus.run: onRemote must be a function");
    return new Promise((resolve) => {
      if (this.#closed || signal?.aborted) return resolve();
      const sub = { onRemote, stop: resolve };
      this.#subscribers.add(sub);
      signal?.addEventListener(
        "abort",
        () => {
          this.#subscribers.delete(sub);
          resolve();
        },
        { once: true },
      );
    });
  }

  /**
   * Wires a channel manager to the bus, both halves of the seam: `manager.setBus(this)` (if the
   * manager has it) so its local events are published here, and every remote event goes to
   * `manager.applyRemote(event)`. Returns a function that detaches the inbound half.
   */
  attach(manager) {
    if (!manager || typeof manager.applyRemote !== "function") {
      throw typeError(
        "BroadcastBus.attach: the manager must have applyRemote(event); for a manager with only events(), use shareEvents(manager, bus)",
      );
    }
    manager.setBus?.(this);
    return this.subscribe((event) => manager.applyRemote(event));
  }

  /** `run` without the Promise: returns an unsubscribe function. */
  subscribe(onRemote) {
    const ctl = new AbortController();
    this.run(onRemote, { signal: ctl.signal });
    return () => ctl.abort();
  }

  /** Closes the channel; every `run` resolves. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
    for (const sub of this.#subscribers) sub.stop();
    this.#subscribers.clear();
  }

  #onMessage(msg) {
    if (!msg || msg.v !== V || typeof msg.from !== "string" || typeof msg.origin !== "string" || !Number.isSafeInteger(msg.seq)) {
      this.stats.malformed++;
      return;
    }
    if (msg.from === this.nodeId || msg.seq <= (this.#lastSeen.get(msg.origin) ?? 0)) {
      this.stats.dropped++;
      return;
    }
    this.#lastSeen.set(msg.origin, msg.seq);
    this.stats.delivered++;
    for (const sub of this.#subscribers) {
      try {
        sub.onRemote(msg.ev, msg.from);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/**
 * Origin-wide lifecycle events for a manager whose JS surface has `events()` but no bus seam (no
 * `setBus`/`applyRemote`): every local event of `manager` is published on `bus` — as soon as it
 * happens, whether or not anyone iterates here — and the returned async iterator yields this
 * node's events and every other node's, each once, as `{ ...event, origin, remote }`.
 *
 * The iterator buffers up to `capacity` events (default 256); a consumer that falls further behind
 * misses the newest, and the next event it gets carries the count in `missedShared`. `signal` or
 * `return()` (breaking out of `for await`) stops it: the local subscription ends and the bus
 * subscription is dropped.
 */
export function shareEvents(manager, bus, { capacity = 256, signal } = {}) {
  if (!manager || typeof manager.events !== "function") throw typeError("shareEvents: the manager must have events()");
  if (!(bus instanceof BroadcastBus)) throw typeError("shareEvents: bus must be a BroadcastBus");
  if (!Number.isInteger(capacity) || capacity < 1) throw rangeError("shareEvents: capacity must be an integer >= 1");
  const local = manager.events();
  const buffer = [];
  const waiting = [];
  let missed = 0;
  let done = false;

  const push = (item) => {
    if (done) return;
    if (waiting.length) return waiting.shift()({ value: withMissed(item), done: false });
    if (buffer.length >= capacity) {
      missed++;
      return undefined;
    }
    buffer.push(item);
    return undefined;
  };
  const withMissed = (item) => {
    if (missed === 0) return item;
    const out = { ...item, missedShared: missed };
    missed = 0;
    return out;
  };
  const stop = () => {
    if (done) return;
    done = true;
    off();
    local.return?.();
    for (const w of waiting.splice(0)) w({ value: undefined, done: true });
  };

  const off = bus.subscribe((ev, from) => push({ ...ev, origin: from, remote: true }));
  (async () => {
    try {
      for (let r = await local.next(); !r.done && !done; r = await local.next()) {
        bus.publish(r.value);
        push({ ...r.value, origin: bus.nodeId, remote: false });
      }
    } catch {
      // The manager or the bus went away: the stream ends.
    }
    stop();
  })();
  signal?.addEventListener("abort", stop, { once: true });

  return {
    next() {
      if (buffer.length) return Promise.resolve({ value: withMissed(buffer.shift()), done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      stop();
      buffer.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// `using` closes.
disposeBy(BroadcastBus, "close");
