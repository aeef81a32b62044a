// The fan-out layer raises the package's one LindyError class (see ../errors.d.ts).
export { Code, LindyError } from "../errors.js";
import type { LindyErrorCode } from "../errors.js";

/** Codes a fan-out call can reject with (plus any code the served Space itself raises; `BUFFER_FULL` also
 * when 2^24 calls are already in flight on one client). */
export type FanoutErrorCode = Extract<LindyErrorCode, "CLOSED" | "ABORTED" | "TIMEOUT" | "LEASE_LOST" | "NOT_CLONEABLE" | "BUFFER_FULL">;

/**
 * What a transfer list may hold (`postMessage(message, transfer)`): the DOM's `Transferable`,
 * spelled so the types compile without the DOM lib (a Node project with `@types/node`); an
 * `ArrayBuffer[]` or the DOM's `Transferable[]` fits.
 */
export type TransferList = readonly object[];

/**
 * The part of the Web Locks API (`navigator.locks`) lindy calls, spelled without the DOM lib:
 * the DOM's `LockManager` fits it.
 */
export interface LockManagerLike {
  request(name: string, ...rest: any[]): Promise<unknown>;
}
