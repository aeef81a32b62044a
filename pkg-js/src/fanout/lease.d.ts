/** Lease length when the caller passes none: 30 s. */
export declare const DEFAULT_LEASE_MS: number;
/** Longest lease accepted: one day. */
export declare const MAX_LEASE_MS: number;

/** A lease one connection holds, as the hub sees it. */
export interface LeaseRecord {
  readonly id: number;
  readonly key: string;
  readonly value: unknown;
  /** ms since the epoch. */
  readonly deadline: number;
  /** Leased deliveries of the entry, this one included. */
  readonly deliveries: number;
}

/**
 * The leases one connection holds over a lindy `Space` (used by `serve`; exported for custom
 * hubs). The leases live in the space's engine; this records who holds which.
 */
export declare class HeldLeases {
  constructor(
    space: {
      ack(lease: number): void;
      nack(lease: number): unknown;
      extend(lease: number, leaseMs?: number): number;
    },
    hooks?: {
      onReturn?(lease: LeaseRecord, reason: string): void;
      onExpire?(lease: LeaseRecord): void;
    },
  );
  readonly size: number;
  list(): LeaseRecord[];
  hold(key: string, leased: { value: unknown; lease: number; deadline: number; deliveries: number }): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  ack(id: number): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  nack(id: number): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  extend(id: number, leaseMs: number): LeaseRecord;
  returnAll(reason: string): number;
}
