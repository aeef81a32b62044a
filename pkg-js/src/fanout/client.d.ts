import type { LockManagerLike, TransferList } from "./protocol.js";

/** Ping interval of an idle client: 1 s. */
export declare const DEFAULT_HEARTBEAT_MS: number;
/** Prefix of the Web Lock each client holds for its lifetime. */
export declare const CLIENT_LOCK_PREFIX: string;

export interface ConnectOptions {
  /** Ping interval while idle (1 s; 0 disables). */
  heartbeatMs?: number;
  /** Web Locks (default `navigator.locks`; null disables the lifetime lock). */
  locks?: LockManagerLike | null;
  /** A name for this client (a random UUID by default); the hub's events carry it. */
  clientId?: string;
}

/** Cancels a remote wait: `signal` rejects with `ABORTED`, `timeoutMs` with `TIMEOUT`; nothing is taken. */
export interface RemoteWaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of the taking calls: `transfer: true` moves the entry's ArrayBuffers instead of copying. */
export interface RemoteTakeOptions extends RemoteWaitOptions {
  transfer?: boolean;
}

export interface TakeLeasedOptions extends RemoteWaitOptions {
  /** How long the hub waits for `ack()` before putting the entry back (hub default: 30 s). */
  leaseMs?: number;
}

/** A leased entry: `ack()` when done, `nack()` to give it back now. */
export declare class Lease<T = unknown> {
  readonly id: number;
  readonly key: string;
  readonly value: T;
  /** When the hub takes it back unless acked or extended (ms since the epoch). */
  readonly deadline: number;
  /** Aborted (reason: `LEASE_LOST`) when the hub took the entry back: stop working on it. */
  readonly signal: AbortSignal;
  /** Done: the entry is removed for good. Rejects with `LEASE_LOST` if the hub took it back first. */
  ack(): Promise<void>;
  /** Not done: the entry goes back to the head of its key now. */
  nack(): Promise<void>;
  /** Keeps the lease `leaseMs` more from now; resolves to the new deadline. */
  extend(leaseMs: number): Promise<number>;
}

/**
 * The Space API over a port, as Promises. Operations issued in one task travel as one message.
 * Plain `take` is at-most-once; `takeLeased` + `ack` is at-least-once.
 */
export declare class RemoteSpace {
  readonly clientId: string;
  /** Leases held and not settled. */
  readonly leased: number;
  readonly stats: { messagesOut: number; ops: number; messagesIn: number };
  /** Appends `value` under `key`; `{transfer: true}` (or a list) moves ArrayBuffers instead of copying. */
  push(key: string, value: unknown, options?: { transfer?: boolean | TransferList }): Promise<void>;
  /** Appends every element of `values` under `key`, in order (one operation). */
  pushMany(key: string, values: unknown[], options?: { transfer?: boolean | TransferList }): Promise<void>;
  /** @deprecated Renamed {@link RemoteSpace.push} (docs/vocabulary.md). */
  out(key: string, value: unknown, options?: { transfer?: boolean | TransferList }): Promise<void>;
  /** @deprecated Renamed {@link RemoteSpace.pushMany}. */
  outMany(key: string, values: unknown[], options?: { transfer?: boolean | TransferList }): Promise<void>;
  take<T = unknown>(key: string, options?: RemoteTakeOptions): Promise<T>;
  /** Up to `max` of the oldest entries of `key`, taken without waiting. */
  takeMany<T = unknown>(key: string, max: number, options?: { transfer?: boolean }): Promise<T[]>;
  /** The head entry of `key` without removing it, waiting until there is one. */
  peek<T = unknown>(key: string, options?: RemoteWaitOptions): Promise<T>;
  tryTake<T = unknown>(key: string, options?: { transfer?: boolean }): Promise<T | undefined>;
  /** The head entry of `key`, not removed, or `undefined`. */
  tryPeek<T = unknown>(key: string): Promise<T | undefined>;
  /** @deprecated Renamed {@link RemoteSpace.peek}. */
  read<T = unknown>(key: string, options?: RemoteWaitOptions): Promise<T>;
  /** @deprecated Renamed {@link RemoteSpace.tryPeek}. */
  tryRead<T = unknown>(key: string): Promise<T | undefined>;
  len(key: string): Promise<number>;
  /** Entries queued across all keys (the local `size` getter, as a call). */
  size(): Promise<number>;
  /** Whether the space was closed (the local `isClosed` getter, as a call). */
  isClosed(): Promise<boolean>;
  /** The keys holding entries, sorted. */
  keys(): Promise<string[]>;
  tryTakeMatching<T = unknown>(pattern: string, options?: { transfer?: boolean }): Promise<{ key: string; value: T } | undefined>;
  /** Closes the space itself, for every client. To leave, `disconnect()`. */
  close(): Promise<void>;
  takeMatching<T = unknown>(pattern: string, options?: RemoteTakeOptions): Promise<{ key: string; value: T }>;
  /** Takes entries one at a time until the space closes. */
  takeEach<T = unknown>(key: string, options?: RemoteTakeOptions): AsyncGenerator<T, void, undefined>;
  takeLeased<T = unknown>(key: string, options?: TakeLeasedOptions): Promise<Lease<T>>;
  /** Leaves: pending calls reject with `CLOSED`; the hub returns this client's leases. */
  disconnect(): void;
  /** `disconnect()`: for `using space = wrap()`. */
  [Symbol.dispose](): void;
  /** Sends queued operations now rather than at the end of the microtask checkpoint. */
  flush(): void;
}

/** Connects to a hub (`serve`) across `port`. */
export declare function connect(port: MessagePort, options?: ConnectOptions): RemoteSpace;
