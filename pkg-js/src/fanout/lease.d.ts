/** Lease length when the caller passes none: 30 s. */
export declare const DEFAULT_LEASE_MS: number;
/** Longest lease accepted: one day. */
export declare const MAX_LEASE_MS: number;

/** A leased entry as the hub sees it. */
export interface LeaseRecord {
  readonly id: number;
  readonly key: string;
  readonly value: unknown;
  /** ms since the epoch. */
  readonly deadline: number;
}

/** The leases of one connection (used by `serve`; exported for custom hubs). */
export declare class LeaseTable {
  constructor(
    space: { out(key: string, value: unknown): void; tryTake(key: string): unknown },
    hooks?: {
      onReturn?(lease: LeaseRecord, reason: string): void;
      onOrphan?(lease: LeaseRecord, values: unknown[], error: unknown): void;
      onExpire?(lease: LeaseRecord): void;
    },
  );
  readonly size: number;
  list(): LeaseRecord[];
  grant(key: string, value: unknown, leaseMs: number): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  ack(id: number): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  nack(id: number): LeaseRecord;
  /** @throws LindyError `LEASE_LOST` */
  extend(id: number, leaseMs: number): LeaseRecord;
  returnAll(reason: string): number;
}
