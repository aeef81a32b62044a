import type { AbortSignalLike, Pattern, Value, WaitOptions } from "../index.js";

/** Options of `new Space(options)`. Unknown options are an `INVALID_CONFIG` error. */
export interface SpaceOptions {
  /** Queued plus leased entries the space holds at most (default 16 777 216); then `push` throws `BUFFER_FULL`. */
  maxEntries?: number;
  /** Queued plus leased entries one key holds at most (default: no per-key bound). */
  maxKeyEntries?: number;
  /** Lease length of `takeLeased` when the call names none, in ms (default 30 000). */
  defaultLeaseMs?: number;
  /** After this many leased deliveries, a returned entry goes to `deadLetterKey` (default: never). */
  maxDeliveries?: number;
  /** Where poisoned entries go (default `"dead-letter"`). */
  deadLetterKey?: string;
}

/** `takeLeased`'s options: a wait's `{ signal, timeoutMs }` plus the lease length. */
export interface LeaseWaitOptions extends WaitOptions {
  /** Lease length in ms, a whole number in 1..=31 536 000 000 (default: the space's `defaultLeaseMs`). */
  leaseMs?: number;
}

/** An entry out on lease: settle it with `space.ack(lease)` or `space.nack(lease)`. */
export interface LeasedEntry<T> {
  value: T;
  /** The lease id. */
  lease: number;
  /** When the lease runs out (epoch ms) unless extended. */
  deadline: number;
  /** Leased deliveries of this entry so far, this one included. */
  deliveries: number;
}

/** A key and the value taken from it (pattern takes). */
export interface Entry<T> {
  key: string;
  value: T;
}

/**
 * A keyed tuple space of JS values: each key is a FIFO queue. `push` appends, `take` removes the
 * oldest entry (waiting for one), `peek` returns it without removing it, `takeLeased` hands one
 * out until it is acknowledged (the words of docs/vocabulary.md; `out`, `outFront`, `outMany`,
 * `read` and `tryRead` are deprecated aliases).
 *
 * `T` is the type of the values (all keys alike). `undefined` is refused — in the type and at run
 * time — since `tryTake` and `tryPeek` answer `undefined` for "nothing there": store `null` instead.
 */
export class Space<T extends Value = Value> {
  /** An empty, open space. */
  constructor(options?: SpaceOptions);
  /**
   * Appends `value` under `key` (handed to the oldest waiting taker first). Never waits: throws
   * `CLOSED` after `close()` and `BUFFER_FULL` at a bound — the value stays yours (`err.value`):
   * nothing was stored.
   */
  push(key: string, value: T): void;
  /**
   * As `push`, but a bound is an answer, not an error: `true` if stored (or handed to a waiting
   * taker), `false` if the space or the key is full (nothing stored). Throws `CLOSED`.
   */
  tryPush(key: string, value: T): boolean;
  /** Puts `value` at the head of `key`: the next entry taken. Throws as `push`. */
  pushFront(key: string, value: T): void;
  /** Appends every value, in order, in one call. `BUFFER_FULL` carries the values not stored as `err.value`. */
  pushMany(key: string, values: readonly T[]): void;
  /** @deprecated Renamed {@link Space.push} (docs/vocabulary.md); kept for one minor version. */
  out(key: string, value: T): void;
  /** @deprecated Renamed {@link Space.pushFront}. */
  outFront(key: string, value: T): void;
  /** @deprecated Renamed {@link Space.pushMany}. */
  outMany(key: string, values: readonly T[]): void;
  /**
   * Removes and returns the oldest entry of `key`, waiting for one. Once the space is closed,
   * takes drain what is queued, then reject with `CLOSED`; `ABORTED`/`TIMEOUT` when cancelled —
   * and then nothing was taken.
   */
  take(key: string, options?: WaitOptions): Promise<T>;
  /** The oldest entry of `key` without removing it, waiting for one. */
  peek(key: string, options?: WaitOptions): Promise<T>;
  /** The oldest entry of `key`, taken, or `undefined`. Never waits. */
  tryTake(key: string): T | undefined;
  /** The oldest entry of `key` without removing it, or `undefined`. Never waits. */
  tryPeek(key: string): T | undefined;
  /** @deprecated Renamed {@link Space.peek}. */
  read(key: string, options?: WaitOptions): Promise<T>;
  /** @deprecated Renamed {@link Space.tryPeek}. */
  tryRead(key: string): T | undefined;
  /** Up to `max` of the oldest entries of `key`, taken, in one call. */
  takeMany(key: string, max: number): T[];
  /** The oldest entry (by `push` order) of any key that is a channel name matching `pattern`, taken, waiting for one. */
  takeMatching(pattern: Pattern | string, options?: WaitOptions): Promise<Entry<T>>;
  /** The oldest entry of any key matching `pattern`, taken, or `undefined`. */
  tryTakeMatching(pattern: Pattern | string): Entry<T> | undefined;
  /**
   * Every entry of `key` as it arrives: `for await (const job of space.takeEach("jobs"))`. Ends
   * when the space is closed and drained or `signal` fires; `break` stops taking, leaving the
   * rest in the space.
   */
  takeEach(key: string, options?: { signal?: AbortSignalLike }): AsyncGenerator<T, void, undefined>;
  /** The oldest entry of `key` under a lease, waiting for one; it stays in the space until `ack`. */
  takeLeased(key: string, options?: LeaseWaitOptions): Promise<LeasedEntry<T>>;
  /** The oldest entry of `key` under a lease, or `undefined`. */
  tryTakeLeased(key: string, options?: { leaseMs?: number }): LeasedEntry<T> | undefined;
  /** The leased entry is done and leaves the space. Throws `LEASE_LOST`. */
  ack(lease: number): void;
  /** Back to the head of its key with its age (or to the dead-letter key). Throws `LEASE_LOST`. */
  nack(lease: number): "requeued" | "dead-lettered";
  /** A new deadline `leaseMs` from now; returns it. Throws `LEASE_LOST`, `LEASE_INVALID`. */
  extend(lease: number, leaseMs?: number): number;
  /** Entries out on lease. */
  readonly leased: number;
  /** A handle bound to `key`, for a hot loop on one key. */
  key(key: string): SpaceKey<T>;
  /** Entries queued under `key`. */
  len(key: string): number;
  /** Entries queued across all keys. */
  readonly size: number;
  /** The keys holding entries, sorted. */
  keys(): string[];
  /** `push` is refused from now on; takes drain what is queued, then reject with `CLOSED`. Idempotent. */
  close(): void;
  /** Whether `close()` was called. */
  readonly isClosed: boolean;
  /** `close()`: for `using space = new Space()`. */
  [Symbol.dispose](): void;
}

/** One key of a `Space` (`space.key("jobs")`): the same operations without the key argument. */
export class SpaceKey<T extends Value = Value> {
  private constructor();
  /** The key. */
  readonly key: string;
  /** `space.len(key)`. */
  readonly length: number;
  push(value: T): void;
  tryPush(value: T): boolean;
  pushFront(value: T): void;
  pushMany(values: readonly T[]): void;
  take(options?: WaitOptions): Promise<T>;
  peek(options?: WaitOptions): Promise<T>;
  tryTake(): T | undefined;
  tryPeek(): T | undefined;
  takeMany(max: number): T[];
  takeLeased(options?: LeaseWaitOptions): Promise<LeasedEntry<T>>;
  /** @deprecated Renamed {@link SpaceKey.push}. */
  out(value: T): void;
  /** @deprecated Renamed {@link SpaceKey.pushFront}. */
  outFront(value: T): void;
  /** @deprecated Renamed {@link SpaceKey.peek}. */
  read(options?: WaitOptions): Promise<T>;
  /** @deprecated Renamed {@link SpaceKey.tryPeek}. */
  tryRead(): T | undefined;
}
