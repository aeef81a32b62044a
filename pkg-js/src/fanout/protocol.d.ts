/** Stable error codes raised by the fan-out layer (the same strings as the crate's `error::codes`). */
export declare const Code: Readonly<{
  CLOSED: "CLOSED";
  ABORTED: "ABORTED";
  TIMEOUT: "TIMEOUT";
  LEASE_LOST: "LEASE_LOST";
  NOT_CLONEABLE: "NOT_CLONEABLE";
}>;

/** Codes a fan-out call can reject with (plus any code the served Space itself raises). */
export type FanoutErrorCode = (typeof Code)[keyof typeof Code];

/** An error with a stable `code`; `name` is always `"LindyError"`, like the wasm package's errors. */
export declare class LindyError extends Error {
  constructor(code: string, message: string, extra?: { value?: unknown; cause?: unknown });
  readonly name: "LindyError";
  readonly code: string;
  /** A value handed back (e.g. `out` on a closed space): nothing is lost silently. */
  readonly value?: unknown;
}
