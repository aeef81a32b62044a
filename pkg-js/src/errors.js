// The package's errors. Every error lindy throws or rejects with carries a stable `.code`:
//
// - a `LindyError` (this class: `err instanceof LindyError` works for errors raised inside the
//   wasm core, in the JS layer and in the fan-out hub alike) with one of the codes in `Code`,
//   the same words as `lindy::error::codes` in Rust and in logs;
// - a `TypeError` with `.code === "ERR_INVALID_ARG_TYPE"` or a `RangeError` with
//   `.code === "ERR_OUT_OF_RANGE"` for an argument of the wrong type or out of range (Node's codes
//   for the same mistakes, so code that handles Node's errors handles lindy's).
//
// Branch on `.code`, never on the message: messages say what happened in words and may improve.

/** The stable codes of `LindyError` (kept equal to the Rust tables by test/errors.test.mjs). */
export const Code = Object.freeze({
  CHANNEL_INVALID: "CHANNEL_INVALID",
  PATTERN_INVALID: "PATTERN_INVALID",
  CHANNEL_NOT_FOUND: "CHANNEL_NOT_FOUND",
  CHANNEL_EXISTS: "CHANNEL_EXISTS",
  CHANNEL_CLOSED: "CHANNEL_CLOSED",
  CHANNEL_TTL_EXCEEDS_MAX: "CHANNEL_TTL_EXCEEDS_MAX",
  BUFFER_FULL: "BUFFER_FULL",
  BUFFER_EMPTY: "BUFFER_EMPTY",
  CLOSED: "CLOSED",
  INVALID_PATH: "INVALID_PATH",
  INVALID_CONFIG: "INVALID_CONFIG",
  KEY_INVALID: "KEY_INVALID",
  VALUE_TOO_LARGE: "VALUE_TOO_LARGE",
  STORE_CORRUPT: "STORE_CORRUPT",
  STORE_POISONED: "STORE_POISONED",
  SEQUENCE_EXHAUSTED: "SEQUENCE_EXHAUSTED",
  IO: "IO",
  TIMEOUT: "TIMEOUT",
  ABORTED: "ABORTED",
  LEASE_LOST: "LEASE_LOST",
  LEASE_INVALID: "LEASE_INVALID",
  NOT_CLONEABLE: "NOT_CLONEABLE",
  STORE_LOCKED: "STORE_LOCKED",
  NOT_INITIALIZED: "NOT_INITIALIZED",
  OUT_OF_MEMORY: "OUT_OF_MEMORY",
});

/** The `.code` of a `TypeError` for an argument of the wrong type. */
export const ERR_INVALID_ARG_TYPE = "ERR_INVALID_ARG_TYPE";
/** The `.code` of a `RangeError` for a number (or size) outside its range. */
export const ERR_OUT_OF_RANGE = "ERR_OUT_OF_RANGE";

/**
 * An error with a stable `.code` (one of `Code`). `.segment` and `.offset` say where a channel
 * name or pattern went wrong; `.value` hands back what a closed object refused, so nothing is
 * lost; `.cause` is the underlying error (an `AbortSignal`'s reason, a DOM error).
 */
export class LindyError extends Error {
  /**
   * @param {string} code one of `Code`
   * @param {string} message
   * @param {{ cause?: unknown, value?: unknown, segment?: number, offset?: number }} [details]
   */
  constructor(code, message, details) {
    super(message, details && "cause" in details ? { cause: details.cause } : undefined);
    this.code = code;
    if (details) {
      if (details.segment !== undefined) this.segment = details.segment;
      if (details.offset !== undefined) this.offset = details.offset;
      if ("value" in details) this.value = details.value;
    }
  }
}

// `name` lives on the prototype (as on the built-in errors): stacks and `console.log` print
// "LindyError", and it is not an own property that every instance carries.
Object.defineProperty(LindyError.prototype, "name", {
  value: "LindyError",
  writable: true,
  enumerable: false,
  configurable: true,
});

/** A `TypeError` with `.code = "ERR_INVALID_ARG_TYPE"`. */
export function typeError(message) {
  const err = new TypeError(message);
  err.code = ERR_INVALID_ARG_TYPE;
  return err;
}

/** A `RangeError` with `.code = "ERR_OUT_OF_RANGE"`. */
export function rangeError(message) {
  const err = new RangeError(message);
  err.code = ERR_OUT_OF_RANGE;
  return err;
}

/** `typeof`, with `null` and arrays told apart, for messages ("got null", "got an array"). */
export function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
