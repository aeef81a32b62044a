// Wire protocol between a fan-out client (usually in a worker) and the hub that owns the space.
//
// One message per batch, in both directions, so that a burst of operations issued in one task
// costs one postMessage and one event-loop task on the other side instead of one per operation.
// The batch is COLUMNAR: the fixed fields of every operation (id, opcode, key index, two numeric
// arguments) go into one Float64Array, keys are interned once per batch, and only payloads travel
// as cloned values. Structured clone pays per cloned object and per string, so this is what makes
// a batch of N operations cost close to one message rather than N small ones (measured in
// pkg-js/bench/fanout). The protocol is private to this folder: both ends ship together.
//
//   client → hub   { t: "b", h: Float64Array(OP_WIDTH × n), k: [keys], v: [payloads] }
//                  { t: "ping" }                       liveness, sent only when idle
//                  { t: "hello", clientId, lock? }     who I am; `lock` is the Web Lock I hold
//                  { t: "bye" }                        orderly disconnect
//   hub → client   { t: "r", h: Float64Array(RES_WIDTH × n), v: [values], lost?: [leaseId] }
//                  { t: "bye", reason }                the hub closed the connection
//
// Operation row: [id, opcode, key index (-1: none), a, b], payloads taken from `v` in row order:
//   OUT, GIVE_BACK      v: the value        OUT_MANY  v: the array of values
//   TAKE_MANY           a: max  b: transfer
//   TRY_TAKE_MATCHING   key index → the pattern string; b: transfer
//   SIZE, KEYS, IS_CLOSED   no arguments
//   TAKE, READ          a: timeoutMs (NaN: none)  b: 1 = transfer the taken value
//   TAKE_MATCHING       key index → the pattern string; a, b as TAKE
//   LEASE               a: timeoutMs  b: leaseMs (NaN: the hub's default)
//   TRY_TAKE            b: transfer
//   ACK, NACK, CANCEL   a: lease id / the cancelled operation's id
//   EXTEND              a: lease id  b: leaseMs
// Result row: [id, status, n1, n2], a value from `v` for statuses that carry one.
// Operation id 0 means "no answer wanted".

/** Operation codes. */
export const Op = Object.freeze({
  OUT: 1,
  TAKE: 2,
  READ: 3,
  TRY_TAKE: 4,
  TRY_READ: 5,
  LEN: 6,
  CLOSE: 7,
  TAKE_MATCHING: 8,
  LEASE: 9,
  ACK: 10,
  NACK: 11,
  EXTEND: 12,
  CANCEL: 13,
  GIVE_BACK: 14,
  OUT_MANY: 15,
  TAKE_MANY: 16,
  TRY_TAKE_MATCHING: 17,
  SIZE: 18,
  KEYS: 19,
  IS_CLOSED: 20,
});

/** Names for messages and errors. */
export const OP_NAME = Object.freeze(Object.fromEntries(Object.entries(Op).map(([k, v]) => [v, k.toLowerCase()])));

/** Result statuses. */
export const St = Object.freeze({
  VOID: 0, //    ok, no value
  VALUE: 1, //   ok, value in v
  NUMBER: 2, //  ok, the number in n1
  LEASE: 3, //   ok, lease id in n1, deadline in n2, value in v
  ERROR: 4, //   failed, wire error in v
});

export const OP_WIDTH = 5;
export const RES_WIDTH = 4;

/** Does this opcode carry a payload in `v`? */
export const carriesValue = (code) => code === Op.OUT || code === Op.GIVE_BACK || code === Op.OUT_MANY;

/**
 * Rows of `width` numbers in one growable `Float64Array` that is reused batch after batch: writing
 * a row allocates nothing (a batch used to build a JS array of numbers and copy it out, which was
 * a good part of the garbage per operation). `packed()` copies the rows into a buffer of their own,
 * which the sender transfers rather than clones.
 */
export class Frame {
  /** Rows written since the last `clear()`. */
  length = 0;

  /** @param {number} width numbers per row */
  constructor(width, rows = 64) {
    this.width = width;
    this.cells = new Float64Array(width * rows);
  }

  /** Starts a row; returns the index of its first cell in `this.cells`. */
  row() {
    const at = this.length * this.width;
    if (at + this.width > this.cells.length) {
      const bigger = new Float64Array(this.cells.length * 2);
      bigger.set(this.cells);
      this.cells = bigger;
    }
    this.length++;
    return at;
  }

  /** A copy of the rows in a buffer of its own (transfer its `.buffer`). */
  packed() {
    return this.cells.slice(0, this.length * this.width);
  }

  /** A copy of row `r` alone. */
  rowCopy(r) {
    return this.cells.slice(r * this.width, (r + 1) * this.width);
  }

  clear() {
    this.length = 0;
  }
}

// One error class and one code table for the whole package (see ../errors.js).
export { Code, LindyError } from "../errors.js";
import { Code, LindyError, describe, rangeError, typeError } from "../errors.js";

/** The error a remote wait rejects with when its AbortSignal fires (mirrors the local Space). */
export function abortError(signal, where) {
  const reason = signal?.reason;
  // A timeout signal (AbortSignal.timeout) reports TIMEOUT, anything else ABORTED.
  if (reason && typeof reason === "object" && reason.name === "TimeoutError") {
    return new LindyError(Code.TIMEOUT, `${where}: timed out; nothing was taken`, { cause: reason });
  }
  return new LindyError(Code.ABORTED, `${where}: aborted; nothing was taken`, { cause: reason });
}

/**
 * Turns any thrown value into something structured clone can carry, keeping `name`, `message`,
 * `code` and a handed-back `value` (a `Closed` error gives the value back: it must survive the trip).
 */
export function toWire(err) {
  if (err && typeof err === "object") {
    const wire = {
      name: typeof err.name === "string" ? err.name : "Error",
      message: typeof err.message === "string" ? err.message : String(err),
      code: typeof err.code === "string" ? err.code : undefined,
    };
    if ("value" in err) wire.value = err.value;
    return wire;
  }
  return { name: "Error", message: String(err), code: undefined };
}

const BUILTIN = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** Rebuilds an error from its wire form: same class for built-ins, same `name`, `code`, `value`. */
export function fromWire(wire) {
  if (wire.name === "LindyError") {
    return new LindyError(wire.code, wire.message, "value" in wire ? { value: wire.value } : undefined);
  }
  const Ctor = BUILTIN[wire.name];
  const err = Ctor ? new Ctor(wire.message) : new Error(wire.message);
  if (!Ctor) err.name = wire.name;
  if (wire.code !== undefined) err.code = wire.code;
  if ("value" in wire) err.value = wire.value;
  return err;
}

/**
 * The transferables of a payload, for callers who opted in: the value itself when it is an
 * `ArrayBuffer`, its buffer when it is a typed array or `DataView`, and the same one level down in a
 * plain array or object. A shallow scan keeps the cost predictable; pass an explicit list for
 * anything deeper. Duplicates are removed (transferring one buffer twice is a DataCloneError).
 */
export function collectTransferables(value, into = new Set()) {
  const add = (v) => {
    if (v instanceof ArrayBuffer) into.add(v);
    else if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) into.add(v.buffer);
    else if (isTransferableObject(v)) into.add(v);
  };
  if (value === null || typeof value !== "object") return into;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) add(v);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const k in value) add(value[k]);
  }
  return into;
}

function isTransferableObject(v) {
  return (
    (typeof MessagePort !== "undefined" && v instanceof MessagePort) ||
    (typeof ImageBitmap !== "undefined" && v instanceof ImageBitmap) ||
    (typeof ReadableStream !== "undefined" && v instanceof ReadableStream)
  );
}

/** Normalises a `transfer` option (`true` = scan the value, an array = exactly these). */
export function transfersFor(value, transfer) {
  if (!transfer) return undefined;
  if (transfer === true) return [...collectTransferables(value)];
  if (Array.isArray(transfer)) return transfer;
  throw typeError("transfer must be true or an array of Transferables");
}

/** Validates a key the way the space will, but early, so a bad call fails in the caller's stack. */
export function checkKey(key, where) {
  if (typeof key !== "string") {
    throw typeError(`${where}: key must be a string, got ${key === null ? "null" : typeof key}`);
  }
}

/**
 * Checks an options object against the names `known` (an array): anything else is an
 * `INVALID_CONFIG` error (a misspelt `timeout` for `timeoutMs` must not be ignored); a non-object
 * is a `TypeError`. `undefined` and `null` mean "no options". Allocates nothing.
 */
export function checkOptions(opts, known, where) {
  if (opts === undefined || opts === null) return EMPTY;
  if (typeof opts !== "object") throw typeError(`${where}: options must be an object, got ${describe(opts)}`);
  for (const name in opts) {
    if (!known.includes(name)) {
      throw new LindyError(Code.INVALID_CONFIG, `${where}: unknown option ${JSON.stringify(name)} (known: ${known.join(", ")})`);
    }
  }
  return opts;
}
const EMPTY = Object.freeze({});

/** Validates an optional non-negative finite number of milliseconds. */
export function checkMs(ms, name, where) {
  if (ms === undefined) return;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw rangeError(`${where}: ${name} must be a finite number of milliseconds >= 0, got ${String(ms)}`);
  }
}

/** A random id; `crypto.randomUUID` exists in browsers (secure contexts), workers and Node. */
export function randomId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** `setTimeout`/`setInterval` that never keeps a Node process alive on their own. */
export function unrefTimer(handle) {
  if (handle && typeof handle === "object" && typeof handle.unref === "function") handle.unref();
  return handle;
}

/** Listens on a port (browser MessagePort, Node MessagePort or worker_threads port). */
export function listen(port, type, fn) {
  if (typeof port.addEventListener === "function") {
    port.addEventListener(type, fn);
    return () => port.removeEventListener(type, fn);
  }
  port.on(type, fn);
  return () => port.off(type, fn);
}
