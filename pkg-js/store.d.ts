// The types of `lindy/store`: `IdbStore`, the durable queue on IndexedDB. Its own wasm, loaded
// by `IdbStore.open` on first use (or earlier by `init()`). Kept equal to the runtime by
// test/types.test.mjs.
import type { InitSource, LeasedEntry, WaitOptions } from "./index.js";

export { LindyError } from "./src/errors.js";
export type { LindyArgumentError, LindyErrorCode } from "./src/errors.js";
export type { InitSource, LeasedEntry, WaitOptions } from "./index.js";

/**
 * Loads this entry's WebAssembly module (`store_bg.wasm`) ahead of the first `IdbStore.open`,
 * which otherwise loads it itself. In Node it resolves at once.
 */
export function init(source?: InitSource): Promise<void>;

/** Options of `IdbStore.open`. */
export interface IdbStoreOptions {
  /** IndexedDB transaction durability (default `"strict"`: a resolved push survives a power cut). */
  durability?: "strict" | "relaxed" | "default";
  /** Longest key accepted, in UTF-8 bytes (default 1024). */
  maxKeyBytes?: number;
  /** Largest payload accepted, in bytes (default 16 MiB). */
  maxValueBytes?: number;
  /**
   * Payloads the store holds at once — queued, leased or being written (default 1 000 000); one
   * more `push` rejects with `BUFFER_FULL` and writes nothing.
   */
  maxEntries?: number;
  /** Payload bytes the store holds at once (default 256 MiB); a `push` past it is `BUFFER_FULL`. */
  maxBytes?: number;
  /** How long `open` waits for another handle on the database to close, in ms (0: fail at once with `STORE_LOCKED`). */
  lockTimeoutMs?: number;
}

/** A durable keyed FIFO queue of byte payloads in IndexedDB (browsers and workers). */
export class IdbStore {
  private constructor();
  /** Opens (creating if needed) the store in the IndexedDB database `dbName`. */
  static open(dbName: string, options?: IdbStoreOptions): Promise<IdbStore>;
  /** Deletes the database `dbName` with everything in it. */
  static deleteDatabase(dbName: string): Promise<void>;
  /**
   * Appends the bytes of `value` (copied: any typed array, `DataView` or `ArrayBuffer`) to
   * `key`'s queue; resolves once committed. Payloads are bytes: encode objects yourself (e.g.
   * `new TextEncoder().encode(JSON.stringify(v))`).
   */
  push(key: string, value: ArrayBufferView | ArrayBuffer): Promise<void>;
  /** Removes and returns the oldest payload of `key`, waiting for one; committed before it resolves. */
  take(key: string, options?: WaitOptions): Promise<Uint8Array>;
  /** Removes and returns the oldest payload of `key` if there is one, without waiting. */
  tryTake(key: string): Promise<Uint8Array | undefined>;
  /** @deprecated the old name of `take` (docs/vocabulary.md). */
  pull(key: string, options?: WaitOptions): Promise<Uint8Array>;
  /** @deprecated the old name of `tryTake` (docs/vocabulary.md). */
  tryPull(key: string): Promise<Uint8Array | undefined>;
  /**
   * The oldest payload of `key` under a lease, waiting for one. Nothing is written until
   * `ack(lease)` deletes it; `nack(lease)`, the lease running out (`leaseMs`, default 30 000) or
   * the page dying put it back at the head of its key, age kept.
   */
  takeLeased(key: string, options?: WaitOptions & { leaseMs?: number }): Promise<LeasedEntry<Uint8Array>>;
  /** `takeLeased` without the wait, or `undefined`. */
  tryTakeLeased(key: string, leaseMs?: number): LeasedEntry<Uint8Array> | undefined;
  /** @deprecated the old name of `takeLeased` (docs/vocabulary.md). */
  pullLeased(key: string, options?: WaitOptions & { leaseMs?: number }): Promise<LeasedEntry<Uint8Array>>;
  /** @deprecated the old name of `tryTakeLeased` (docs/vocabulary.md). */
  tryPullLeased(key: string, leaseMs?: number): LeasedEntry<Uint8Array> | undefined;
  /** The leased entry is done: resolves once its deletion committed (`LEASE_LOST`, `IO`). */
  ack(lease: number): Promise<void>;
  /** Gives `lease` back: its entry returns to the head of its key now (`LEASE_LOST`). */
  nack(lease: number): void;
  /** Extends `lease` to `leaseMs` from now; returns the new deadline (`LEASE_LOST`, `LEASE_INVALID`). */
  extend(lease: number, leaseMs?: number): number;
  /** Entries out on lease. */
  readonly leased: number;
  /** Refuses pushes from now on; pulls drain what is queued, then fail with `CLOSED`. Idempotent. */
  seal(): void;
  /** A copy of the payload a pull would take next, or `undefined`. */
  peek(key: string): Uint8Array | undefined;
  /** How many payloads are queued under `key`. */
  len(key: string): number;
  /** The keys that have queued payloads, sorted. */
  keys(): string[];
  /** Closes the store; resolves once accepted writes have settled. Idempotent. */
  close(): Promise<void>;
  /** Whether `close` was called (or the browser closed the connection). */
  readonly isClosed: boolean;
  /** The database name. */
  readonly name: string;
  free(): void;
  /** `close()`: for `await using store = await IdbStore.open("db")`. */
  [Symbol.asyncDispose](): Promise<void>;
}
