// Wire protocol between a fan-out client (usually in a worker) and the hub that owns the space.
//
// One message per batch, in both directions, so that a burst of operations issued in one task
// costs one structured clone and one event-loop task on the other side instead of one per
// operation. Operations and results are positional arrays: they clone faster than objects and the
// protocol is private to this folder (both ends always ship together).
//
//   client → hub   { t: "b", o: [[id, op, ...args], ...] }   a batch of operations
//                  { t: "ping" }                              liveness, sent only when idle
//                  { t: "hello", clientId, lock }             who I am; `lock` is the Web Lock I hold
//                  { t: "bye" }                               orderly disconnect
//   hub → client   { t: "r", r: [[id, ok, value], ...] }     a batch of results (ok=0: value is a wire error)
//                  { t: "lost", ids: [leaseId, ...] }        leases the hub took back (expired / returned)

/** Operation codes (short strings: they are cloned once per operation). */
export const Op = Object.freeze({
  out: "out",
  take: "take",
  read: "read",
  tryTake: "tryTake",
  tryRead: "tryRead",
  len: "len",
  close: "close",
  takeMatching: "takeMatching",
  lease: "lease",
  ack: "ack",
  nack: "nack",
  extend: "extend",
  cancel: "cancel",
  giveBack: "giveBack",
});

/** Stable error codes used by this layer (the same strings as `crate::error::codes`). */
export const Code = Object.freeze({
  CLOSED: "CLOSED",
  ABORTED: "ABORTED",
  TIMEOUT: "TIMEOUT",
  LEASE_LOST: "LEASE_LOST",
  NOT_CLONEABLE: "NOT_CLONEABLE",
  INVALID_CONFIG: "INVALID_CONFIG",
  KEY_INVALID: "KEY_INVALID",
});

/**
 * An error carrying a stable `.code`. Like the wasm package's errors, its `name` is always
 * `"LindyError"`: branch on `.code`, never on the message.
 */
export class LindyError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{value?: unknown, cause?: unknown}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "LindyError";
    this.code = code;
    if ("value" in extra) this.value = extra.value;
  }
}

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
  throw new TypeError("transfer must be true or an array of Transferables");
}

/** Validates a key the way the space will, but early, so a bad call fails in the caller's stack. */
export function checkKey(key, where) {
  if (typeof key !== "string") {
    throw new TypeError(`${where}: key must be a string, got ${key === null ? "null" : typeof key}`);
  }
}

/** Validates an optional non-negative finite number of milliseconds. */
export function checkMs(ms, name, where) {
  if (ms === undefined) return;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${where}: ${name} must be a finite number of milliseconds >= 0, got ${String(ms)}`);
  }
}

/** A random id; `crypto.randomUUID` exists in browsers (secure contexts), workers and Node. */
export function randomId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Calls `fn` once at the end of the current microtask checkpoint-ish: after everything queued now. */
export const schedule = (fn) => queueMicrotask(fn);

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
