// The types of `lindy/channels`: channel lifecycle (`Manager`) and named byte streams
// (`Streams`). Its own wasm, its own `init()`. Kept equal to the runtime by test/types.test.mjs.
import type { InitSource, Name, Pattern } from "./index.js";

export { LindyError } from "./src/errors.js";
export type { LindyArgumentError, LindyErrorCode } from "./src/errors.js";
export type { InitSource, WaitOptions } from "./index.js";
import type { WaitOptions } from "./index.js";

/**
 * Loads this entry's WebAssembly module (`channels_bg.wasm`): in browsers, workers and bundles
 * once before the first `new Manager()`/`new Streams()` (before it they throw `NOT_INITIALIZED`).
 * In Node it resolves at once.
 */
export function init(source?: InitSource): Promise<void>;

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
  /** Expires every channel whose TTL has run out by now; returns how many (the sans-IO step). */
  handleTimeout(): number;
  /** @deprecated the old name of `handleTimeout` (docs/vocabulary.md). */
  sweep(): number;
  /**
   * Lifecycle events as an async iterator: `for await (const e of manager.events())`. It ends
   * when the manager is closed (after the events it had queued); `break` stops it early.
   */
  events(options?: EventsOptions): LindyIterator<ChannelEvent>;
  /** When (epoch ms) the next channel expires, or `undefined` if none will: call `handleTimeout()` then. */
  pollTimeout(): number | undefined;
  /** @deprecated the old name of `pollTimeout` (docs/vocabulary.md). */
  readonly nextDeadline: number | undefined;
  /** How many live channels there are (0 once closed). */
  readonly size: number;
  /**
   * Closes the manager (idempotent): stops `autoSweep`, ends every `events()` iterator once it
   * has delivered what it had queued (so `for await` over them ends), and frees the wasm memory.
   * A closed manager holds no channels; `openPublic`, `createPrivate`, `get`, `touch`, `delete`,
   * `setDelta` and `events` throw `CLOSED`.
   */
  close(): void;
  /** Whether `close()` was called. */
  readonly isClosed: boolean;
  /** The same as `close()`. */
  free(): void;
  /** `close()`: for `using manager = new Manager({ autoSweep: true })`. */
  [Symbol.dispose](): void;
}

/** Options of `new Manager`. */
export interface ManagerOptions {
  /** Expire channels on time without calling `handleTimeout()` (default `false`). */
  autoSweep?: boolean;
  /** Live channels the manager holds at once (default 65 536); opening one more is `BUFFER_FULL`. */
  maxChannels?: number;
}

/** Options of `new Streams`. */
export interface StreamsOptions {
  /** Messages a path buffers before writers wait (default 100). */
  bufferSize?: number;
  /** Every reader gets every message; late readers replay the history first. */
  persistent?: boolean;
  /** History kept per persistent path for late readers, in bytes (default 1 MiB). */
  replayBytes?: number;
  /** The largest message accepted, in bytes (default 1 MiB); a larger one is `VALUE_TOO_LARGE`. */
  maxMessageBytes?: number;
  /** Paths the hub holds at once (default 1024); a writer or reader on one more is `BUFFER_FULL`. */
  maxPaths?: number;
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

/**
 * Values filed under patterns, looked up by name: "who is subscribed to this channel?". (In
 * `lindy/channels`: it takes `Name`/`Pattern` objects from `lindy` or their strings.)
 */
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

/** The async iterator of `Manager.events` and `StreamReader` (this entry's own class). */
export class LindyIterator<T = unknown> {
  private constructor();
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): LindyIterator<T>;
  free(): void;
  /** `return()`: for `await using events = manager.events()`. */
  [Symbol.asyncDispose](): Promise<void>;
}
