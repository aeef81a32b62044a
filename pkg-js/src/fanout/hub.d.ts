import type { LeaseRecord } from "./lease.js";
import type { LockManagerLike } from "./protocol.js";

/** Silence after which a client is declared dead: 10 s. */
export declare const DEFAULT_HEARTBEAT_TIMEOUT_MS: number;

/** The part of a lindy `Space` the hub uses (the package's `Space` has all of it). */
export interface ServableSpace {
  push(key: string, value: unknown): void;
  take(key: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
  peek(key: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
  tryTake(key: string): unknown;
  tryPeek(key: string): unknown;
  len(key: string): number;
  close(): void;
  takeMatching(pattern: any, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<{ key: string; value: unknown }>;
  /** Put-back of a result that could not be delivered (O(1), at the head). */
  pushFront(key: string, value: unknown): void;
  /** Leases: the entry stays in the space until `ack`; `nack` and expiry return it, age kept. */
  takeLeased(key: string, options?: { signal?: AbortSignal; timeoutMs?: number; leaseMs?: number }): Promise<{ value: unknown; lease: number; deadline: number; deliveries: number }>;
  tryTakeLeased(key: string, options?: { leaseMs?: number }): { value: unknown; lease: number; deadline: number; deliveries: number } | undefined;
  ack(lease: number): void;
  nack(lease: number): unknown;
  extend(lease: number, leaseMs?: number): number;
  pushMany?(key: string, values: readonly unknown[]): void;
  takeMany?(key: string, max: number): unknown[];
  tryTakeMatching?(pattern: any): { key: string; value: unknown } | undefined;
  /** A getter on the wasm Space (a method is accepted too). */
  readonly size?: number | (() => number);
  readonly isClosed?: boolean;
  keys?(): string[];
}

/** Why a connection closed. */
export type CloseReason =
  | "client-disconnected"
  | "port-closed"
  | "heartbeat-lost"
  | "lock-released"
  | "closed-by-hub"
  | "message-error"
  | (string & {});

/** What the hub reports through `onEvent` (`clientId` is the client's hello id, or null before it). */
export type HubEvent = { clientId: string | null } & (
  | { type: "connect" }
  | { type: "lease"; leaseId: number; key: string; value: unknown }
  | { type: "ack"; leaseId: number; key: string; value: unknown }
  | { type: "return"; leaseId: number | null; key: string; value: unknown; reason: "nack" | "expired" | "abandoned" | CloseReason }
  | { type: "orphan"; leaseId: number | null; key: string | null; values: unknown[]; error: unknown }
  | { type: "error"; error: unknown }
  | { type: "disconnect"; reason: CloseReason; returned: number }
);

export interface ServeOptions {
  /** Lease length when `takeLeased` passes none (30 s). */
  defaultLeaseMs?: number;
  /** Silence that counts as death; 0 disables (10 s). The client pings every second when idle. */
  heartbeatTimeoutMs?: number;
  /** Web Locks to learn of a dead worker at once (`navigator.locks` by default; null disables). */
  locks?: LockManagerLike | null;
  /** Turns a pattern string from the wire into what `space.takeMatching` takes (default: the string). */
  parsePattern?(pattern: string): unknown;
  /** Observes connections, leases, acks and returns. */
  onEvent?(event: HubEvent): void;
}

/** Serves `space` (owned by this thread) to the client at the other end of `port`. */
export declare function serve(space: ServableSpace, port: MessagePort, options?: ServeOptions): Connection;

/** One served client. */
export declare class Connection {
  readonly clientId: string | null;
  /** Why it closed, or null while open. */
  readonly closeReason: CloseReason | null;
  readonly open: boolean;
  /** Entries leased to this client right now. */
  readonly leased: number;
  readonly stats: { messagesIn: number; messagesOut: number; ops: number };
  leases(): LeaseRecord[];
  /** Cancels the client's waits (nothing taken), returns its leases to the head of their keys. */
  close(reason?: string): void;
  /** `close()`. */
  [Symbol.dispose](): void;
}
