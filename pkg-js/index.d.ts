// The types of `lindy`, written for users: generic where values pass through (`Space<T>`,
// `Ring<T>`, `PatternIndex<V>`), `undefined` refused where it means "nothing there", and no
// dependency on the DOM lib or on Node's types (so a Node project without `lib: ["DOM"]`, a
// browser project without `@types/node`, and a worker project all compile). Kept equal to the
// runtime by test/types.test.mjs (every runtime class, method and property is declared here, and
// nothing else).
import type { LindyErrorCode } from "./src/errors.js";

export { LindyError } from "./src/errors.js";
export type { LindyArgumentError, LindyErrorCode } from "./src/errors.js";

declare global {
  // Declared here as in @types/node: the explicit-resource-management symbols, for projects whose
  // `lib` predates them (`using space = new Space()` needs TypeScript 5.2+ and a runtime that has them).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/** Any value lindy stores and hands back: everything but `undefined`, which means "nothing there". */
export type Value = {} | null;

/** An `AbortSignal` (the DOM's, Node's or a worker's: only these members are relied on). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/**
 * Cancels a wait: `signal` rejects it with `ABORTED` (`TIMEOUT` for `AbortSignal.timeout()`),
 * `timeoutMs` with `TIMEOUT` (`Infinity`: no timeout). Nothing is taken. Any other option is an
 * `INVALID_CONFIG` error.
 */
export interface WaitOptions {
  signal?: AbortSignalLike;
  timeoutMs?: number;
}

/** Where `init` finds the wasm: a URL (string or `URL`), a fetch `Response` or a promise of one, the bytes, or a compiled `WebAssembly.Module`. */
export type InitSource = string | { readonly href: string } | ArrayBuffer | ArrayBufferView | PromiseLike<unknown> | object;

/**
 * Loads the WebAssembly module. In browsers, workers and bundles call it once before the first
 * use (later calls return the same promise); by default the wasm is `lindy_bg.wasm` next to the
 * package's glue, which Vite and webpack emit as an asset. In Node it resolves at once: the
 * import itself loaded the module.
 */
export function init(source?: InitSource): Promise<void>;

export { Space, SpaceKey } from "./src/space.js";
export type { Entry, LeasedEntry, LeaseWaitOptions, SpaceOptions } from "./src/space.js";
import type { LeasedEntry } from "./src/space.js";

/**
 * A bounded FIFO of values. A full ring refuses (`tryPush` → `false`) or makes `push` wait; after
 * `close()`, pushes fail with `CLOSED` and pops drain what is left, then see `undefined`.
 */
export class Ring<T extends Value = Value> {
  /** A ring holding up to `capacity` values (an integer from 1 to 16 777 216). */
  constructor(capacity: number);
  /** Appends `value` if there is room: `true` if pushed, `false` if full. Throws `CLOSED` after `close()`. */
  tryPush(value: T): boolean;
  /** Appends `value`, waiting for room (`CLOSED`, `ABORTED`, `TIMEOUT`: then it was not pushed). */
  push(value: T, options?: WaitOptions): Promise<void>;
  /** Removes and returns the oldest value, or `undefined` if the ring is empty. */
  tryPop(): T | undefined;
  /** Removes and returns the oldest value, waiting for one; `undefined` once closed and drained. */
  pop(options?: WaitOptions): Promise<T | undefined>;
  /** Closes the ring; returns `true` the first time. */
  close(): boolean;
  /** The most values the ring holds. */
  readonly capacity: number;
  /** Whether `close()` was called. */
  readonly isClosed: boolean;
  /** Values held now. */
  readonly length: number;
  /** Pops until the ring is closed and drained: `for await (const v of ring)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
  free(): void;
  /** `close()`: for `using ring = new Ring(8)`. */
  [Symbol.dispose](): void;
}

/** A validated channel name: `<public|private>:<app>.<domain>[.<id>][.<topic>]`. */
export class Name {
  private constructor();
  /** Parses a channel name; throws a `CHANNEL_INVALID` `LindyError` with `.segment` and `.offset`. */
  static parse(s: string): Name;
  /** Whether `s` is a valid channel name (never throws). */
  static isValid(s: unknown): boolean;
  /** `"public"` or `"private"`. */
  readonly visibility: "public" | "private";
  /** Whether the name is in the private namespace. */
  readonly isPrivate: boolean;
  /** The first segment. */
  readonly app: string;
  /** The second segment. */
  readonly domain: string;
  /** The third segment, if any. */
  readonly id: string | undefined;
  /** The fourth segment, if any. */
  readonly topic: string | undefined;
  /** The segments after the visibility. */
  readonly segments: string[];
  /** The canonical string, e.g. `"public:chat.rooms.lobby"`. */
  toString(): string;
  /** The canonical string (so `JSON.stringify` writes the name). */
  toJSON(): string;
  free(): void;
  [Symbol.dispose](): void;
}

/** A channel pattern: `*` matches one segment, a final `**` one or more. */
export class Pattern {
  private constructor();
  /** Parses a pattern; throws a `PATTERN_INVALID` `LindyError` with `.segment` and `.offset`. */
  static parse(s: string): Pattern;
  /** Whether `name` matches (a string that is not a valid name matches nothing). */
  matches(name: Name | string): boolean;
  /** Whether the pattern has no wildcard. */
  readonly isExact: boolean;
  /** A pattern only matches names of its own visibility. */
  readonly visibility: "public" | "private";
  toString(): string;
  toJSON(): string;
  free(): void;
  [Symbol.dispose](): void;
}

/** Values filed under patterns, looked up by name: "who is subscribed to this channel?". */
export class PatternIndex<V = unknown> {
  /** An empty index. */
  constructor();
  /** Files `value` under `pattern` and returns the subscription id. */
  insert(pattern: Pattern | string, value: V): number;
  /** Removes subscription `id` and returns its value (`undefined` if there is none). */
  remove(id: number): V | undefined;
  /** The value of subscription `id`, or `undefined`. */
  get(id: number): V | undefined;
  /** The values of every subscription whose pattern matches `name` (order unspecified). */
  matches(name: Name | string): V[];
  /** Whether any subscription matches `name`. */
  hasMatch(name: Name | string): boolean;
  /** Removes every subscription. */
  clear(): void;
  /** How many subscriptions the index holds. */
  readonly size: number;
  free(): void;
  [Symbol.dispose](): void;
}

/** A channel's record, as `Manager` returns it. */
export interface ChannelInfo {
  name: string;
  state: "open" | "closed" | "deleted";
  visibility: "public" | "private";
  ttlMs: number;
  createdAt: number;
  lastActive: number;
  /** When the channel expires if not touched (epoch ms). */
  expiresAt?: number;
  delta: boolean;
}

/** One lifecycle transition; `missed` counts events this consumer lost by falling behind. */
export interface ChannelEvent {
  kind: "opened" | "closed" | "deleted";
  name: string;
  at: number;
  missed: number;
}

/** Options of `Manager.events`. */
export interface EventsOptions {
  /** Only names matching this pattern. */
  pattern?: Pattern | string;
  /** Events buffered for a slow consumer before the newest are dropped (default 256). */
  capacity?: number;
}

/**
 * Channel lifecycle: public and private channels, TTLs, sweeps and events. The clock is
 * `Date.now()`; nothing expires between sweeps (`sweep()`, `nextDeadline`).
 */
export class Manager {
  /**
   * An empty manager with the `Date.now()` clock. `autoSweep: true` expires channels on time by
   * itself (a timer armed for `nextDeadline`); otherwise call `sweep()`.
   */
  constructor(options?: ManagerOptions);
  /** Whether the manager sweeps by itself. */
  readonly autoSweep: boolean;
  /** Stops sweeping by itself (idempotent). */
  stopAutoSweep(): void;
  /** Opens (or refreshes, or re-opens) a public channel; `ttlMs` defaults to 30 minutes. */
  openPublic(name: Name | string, ttlMs?: number): ChannelInfo;
  /** Creates a private channel (`CHANNEL_EXISTS` if taken); `ttlMs` ≤ 1 hour (`CHANNEL_TTL_EXCEEDS_MAX`). */
  createPrivate(name: Name | string, ttlMs?: number): ChannelInfo;
  /** The channel's record (`CHANNEL_NOT_FOUND`). */
  get(name: Name | string): ChannelInfo;
  /** Whether the channel exists and is open. */
  isOpen(name: Name | string): boolean;
  /** Every live channel (open or closed). */
  list(): ChannelInfo[];
  /** Marks an open channel active now (`CHANNEL_CLOSED`, `CHANNEL_NOT_FOUND`). */
  touch(name: Name | string): void;
  /** Turns the channel's delta flag on or off (`CHANNEL_NOT_FOUND`). */
  setDelta(name: Name | string, enabled: boolean): void;
  /** Deletes a channel (emits `deleted`); deleting it again is a quiet no-op. */
  delete(name: Name | string): void;
  /** Expires every channel whose TTL has run out by now; returns how many. */
  sweep(): number;
  /** Lifecycle events as an async iterator. */
  events(options?: EventsOptions): LindyIterator<ChannelEvent>;
  /** When (epoch ms) the next channel expires, or `undefined` if none will. */
  readonly nextDeadline: number | undefined;
  /** How many live channels there are. */
  readonly size: number;
  free(): void;
  /** `stopAutoSweep()`, then `free()`: for `using manager = new Manager({ autoSweep: true })`. */
  [Symbol.dispose](): void;
}

/** Options of `new Manager`. */
export interface ManagerOptions {
  /** Expire channels on time without calling `sweep()` (default `false`). */
  autoSweep?: boolean;
}

/** Options of `new Streams`. */
export interface StreamsOptions {
  /** Messages a path buffers before writers wait (default 100). */
  bufferSize?: number;
  /** Every reader gets every message; late readers replay the history first. */
  persistent?: boolean;
  /** History kept per persistent path for late readers, in bytes (default 1 MiB). */
  replayBytes?: number;
}

/** A hub of named byte streams. A path's stream starts with its first writer or reader. */
export class Streams {
  constructor(options?: StreamsOptions);
  /** A writer on `path` (`CLOSED` if the path's stream has ended or the hub is closed). */
  writer(path: string): StreamWriter;
  /** A reader on `path`: an async iterator of messages. */
  reader(path: string): StreamReader;
  /** Writes `message` to every path under `prefix` that has room, without waiting. */
  broadcast(prefix: string, message: Uint8Array | string): { matched: number; skipped: number };
  /** Removes `path`; returns how many messages were dropped, or `undefined` if there was none. */
  delete(path: string): number | undefined;
  /** Whether `path` exists. */
  exists(path: string): boolean;
  /** The paths under `prefix` (`""` for all), sorted. */
  list(prefix?: string): string[];
  /** Ends every stream and refuses new writers and readers. */
  close(): void;
  /** Whether `close()` was called. */
  readonly isClosed: boolean;
  free(): void;
  /** `close()`: for `using hub = new Streams()`. */
  [Symbol.dispose](): void;
}

/** Writes messages to one path. When every writer of a path has closed, its readers see the end. */
export class StreamWriter {
  private constructor();
  /** Writes one message, waiting while the buffer is full (all or nothing: `CLOSED`, `ABORTED`, `TIMEOUT`). */
  write(message: Uint8Array | string, options?: WaitOptions): Promise<void>;
  /** Writes one message if there is room now; `false` when the buffer is full. */
  tryWrite(message: Uint8Array | string): boolean;
  /** Closes this writer (idempotent). */
  close(): void;
  /** Whether writes will fail. */
  readonly isClosed: boolean;
  /** The path written to. */
  readonly path: string;
  free(): void;
  /** `close()`. */
  [Symbol.dispose](): void;
}

/** Reads the messages of one path: `for await (const msg of reader)`, or `recv()`. */
export class StreamReader {
  private constructor();
  /** The next message, or `undefined` at the end of the stream. */
  recv(options?: WaitOptions): Promise<Uint8Array | undefined>;
  /** The next message if one is there: `null` if none yet, `undefined` at the end. */
  tryRecv(): Uint8Array | null | undefined;
  /** Detaches from the path (the reader then sees the end). Idempotent. */
  close(): void;
  /** Messages this reader missed because a persistent path's history was trimmed first. */
  readonly missed: number;
  /** The messages as an async iterator; ends at the end of the stream. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array>;
  free(): void;
  /** `close()`. */
  [Symbol.dispose](): void;
}

/** Options of `IdbStore.open`. */
export interface IdbStoreOptions {
  /** IndexedDB transaction durability (default `"strict"`: a resolved push survives a power cut). */
  durability?: "strict" | "relaxed" | "default";
  /** Longest key accepted, in UTF-8 bytes (default 1024). */
  maxKeyBytes?: number;
  /** Largest payload accepted, in bytes (default 16 MiB). */
  maxValueBytes?: number;
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
  pull(key: string, options?: WaitOptions): Promise<Uint8Array>;
  /** Removes and returns the oldest payload of `key` if there is one, without waiting. */
  tryPull(key: string): Promise<Uint8Array | undefined>;
  /**
   * The oldest payload of `key` under a lease, waiting for one. Nothing is written until
   * `ack(lease)` deletes it; `nack(lease)`, the lease running out (`leaseMs`, default 30 000) or
   * the page dying put it back at the head of its key, age kept.
   */
  pullLeased(key: string, options?: WaitOptions & { leaseMs?: number }): Promise<LeasedEntry<Uint8Array>>;
  /** `pullLeased` without the wait, or `undefined`. */
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

/**
 * The async iterator behind every `for await` over lindy (`Space.takeEach`, `Manager.events`).
 * `break` (or `return()`) stops early and releases what it holds.
 */
export class LindyIterator<T = unknown> {
  private constructor();
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): LindyIterator<T>;
  free(): void;
  /** `return()`: for `await using jobs = space.takeEach("jobs")`. */
  [Symbol.asyncDispose](): Promise<void>;
}
