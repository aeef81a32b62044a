import type { LockManagerLike } from "./protocol.js";
/**
 * The store operations the leader runs (the wasm `IdbStore` has them all). A store has `take` or
 * (its old name) `pull`, and `tryTake` or `tryPull`; the new name is used where both exist.
 */
export interface LeaderStore {
  push(key: string, value: Uint8Array): Promise<void>;
  take?(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  tryTake?(key: string): Promise<Uint8Array | undefined>;
  pull?(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  tryPull?(key: string): Promise<Uint8Array | undefined>;
  peek(key: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  len(key: string): number | Promise<number>;
  keys(): string[] | Promise<string[]>;
  close?(): unknown;
}

export interface SharedQueueOptions {
  /** Opens the store in the leader tab, e.g. `(name) => IdbStore.open(name)`. */
  open(dbName: string): Promise<LeaderStore>;
  locks?: LockManagerLike;
  BroadcastChannel?: typeof BroadcastChannel;
  nodeId?: string;
  onRoleChange?(role: "leader" | "follower" | "closed", leaderId: string | null): void;
}

/**
 * A durable queue shared by every tab of the origin: the Web Locks leader owns the store, the
 * others forward to it; failover when the leader goes away. See leader.js for delivery guarantees
 * across a failover.
 */
export declare class SharedQueue {
  readonly nodeId: string;
  readonly role: "leader" | "follower" | "closed";
  readonly leaderId: string | null;
  push(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Removes and returns the head of `key`, waiting for one. On abort: rejects with `ABORTED` once
   * the leader confirms nothing was taken, else resolves with the value.
   */
  take(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** The head of `key` removed, or `undefined`. */
  tryTake(key: string): Promise<Uint8Array | undefined>;
  /** @deprecated Renamed {@link SharedQueue.take} (docs/vocabulary.md). */
  pull(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** @deprecated Renamed {@link SharedQueue.tryTake}. */
  tryPull(key: string): Promise<Uint8Array | undefined>;
  peek(key: string): Promise<Uint8Array | undefined>;
  len(key: string): Promise<number>;
  keys(): Promise<string[]>;
  /** A leader steps down (another tab takes over); pending calls reject with `CLOSED`. */
  close(): void;
  /** `close()`. */
  [Symbol.dispose](): void;
}

export declare function openSharedQueue(dbName: string, options: SharedQueueOptions): SharedQueue;
