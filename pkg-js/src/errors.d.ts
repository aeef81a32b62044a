/** The stable error codes: the same words in Rust (`err.code()`), in JS (`err.code`) and in logs. */
export type LindyErrorCode =
  | "CHANNEL_INVALID"
  | "PATTERN_INVALID"
  | "CHANNEL_NOT_FOUND"
  | "CHANNEL_EXISTS"
  | "CHANNEL_CLOSED"
  | "CHANNEL_TTL_EXCEEDS_MAX"
  | "BUFFER_FULL"
  | "BUFFER_EMPTY"
  | "CLOSED"
  | "INVALID_PATH"
  | "INVALID_CONFIG"
  | "KEY_INVALID"
  | "VALUE_TOO_LARGE"
  | "STORE_CORRUPT"
  | "STORE_POISONED"
  | "SEQUENCE_EXHAUSTED"
  | "IO"
  | "TIMEOUT"
  | "ABORTED"
  | "LEASE_LOST"
  | "LEASE_INVALID"
  | "NOT_CLONEABLE"
  | "STORE_LOCKED"
  | "NOT_INITIALIZED"
  | "OUT_OF_MEMORY";

/** The codes as constants: `err.code === Code.CLOSED`. */
export declare const Code: Readonly<{ [K in LindyErrorCode]: K }>;

/** The `.code` of the `TypeError` lindy throws for an argument of the wrong type (Node's code). */
export declare const ERR_INVALID_ARG_TYPE: "ERR_INVALID_ARG_TYPE";
/** The `.code` of the `RangeError` lindy throws for a number out of range (Node's code). */
export declare const ERR_OUT_OF_RANGE: "ERR_OUT_OF_RANGE";

/** A `TypeError` or `RangeError` from lindy: a wrong argument, with Node's code for it. */
export type LindyArgumentError =
  | (TypeError & { readonly code: typeof ERR_INVALID_ARG_TYPE })
  | (RangeError & { readonly code: typeof ERR_OUT_OF_RANGE });

/**
 * Every error lindy raises for anything but a wrong argument: `err instanceof LindyError`, and
 * `err.code` says what happened. Branch on the code, never on the message.
 */
export declare class LindyError<C extends LindyErrorCode = LindyErrorCode> extends Error {
  constructor(
    code: C,
    message: string,
    details?: { cause?: unknown; value?: unknown; segment?: number; offset?: number },
  );
  readonly name: "LindyError";
  readonly code: C;
  /** `CHANNEL_INVALID`/`PATTERN_INVALID`: the segment that broke the grammar (0 = the app). */
  readonly segment?: number;
  /** `CHANNEL_INVALID`/`PATTERN_INVALID`: where the grammar broke, in bytes into the input. */
  readonly offset?: number;
  /** What a closed or full object refused, handed back: nothing is lost silently. */
  readonly value?: unknown;
}

export declare function typeError(message: string): TypeError & { code: typeof ERR_INVALID_ARG_TYPE };
export declare function rangeError(message: string): RangeError & { code: typeof ERR_OUT_OF_RANGE };
export declare function describe(value: unknown): string;
