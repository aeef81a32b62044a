// `Manager` as JS users get it, over the wasm Manager:
// - `{ autoSweep: true }`: the wasm Manager expires channels only when swept (the core is sans-IO:
//   it answers `pollTimeout`, and whoever owns the clock acts). This subclass owns a timer armed
//   for `pollTimeout()`, re-armed after every call that can move it, so channels expire on time
//   without the caller running a sweep loop.
// - `close()`: drops the wasm Manager, which is what ends its event subscriptions (each
//   `events()` iterator delivers what it had queued, then `{ done: true }`), so a
//   `for await (const e of manager.events())` ends on close. A closed manager holds no channels;
//   every call that would open, change or read one throws `CLOSED` instead of wasm-bindgen's
//   uncoded "null pointer" error for a freed object.
import { Manager as CoreManager } from "../dist/channels.js";
import { labelIterator } from "./augment.js";
import { disposeBy } from "./dispose.js";
import { LindyError, Code, rangeError, typeError } from "./errors.js";

// setTimeout's longest delay; a later deadline is reached in steps.
const MAX_DELAY = 2_147_483_647;
/** Default of `maxChannels`: live channels a manager holds at once. */
export const DEFAULT_MAX_CHANNELS = 65_536;

export class Manager extends CoreManager {
  #auto = false;
  #timer = undefined;
  #maxChannels = DEFAULT_MAX_CHANNELS;
  #closed = false;

  /**
   * @param {{ autoSweep?: boolean, maxChannels?: number }} [options] `autoSweep`: expire
   *   channels on time by itself (a timer at `pollTimeout()`; stop it with `stopAutoSweep()` or
   *   `using`). `maxChannels` (default 65 536): live channels held at once; opening one more is
   *   `BUFFER_FULL`, so a stream of new names cannot grow wasm memory without bound.
   */
  constructor(options) {
    const { auto, maxChannels } = parseOptions(options);
    super();
    this.#auto = auto;
    this.#maxChannels = maxChannels;
    this.#arm();
  }

  /** Whether the manager sweeps by itself. */
  get autoSweep() {
    return this.#auto;
  }

  /** Stops sweeping by itself (idempotent); `sweep()` still works. */
  stopAutoSweep() {
    this.#auto = false;
    this.#disarm();
  }

  /**
   * Closes the manager (idempotent): stops `autoSweep`, ends every `events()` iterator once it
   * has delivered what it had queued, and frees the wasm memory. Afterwards the manager holds no
   * channels (`size` 0, `list()` empty, `isOpen()` false, `pollTimeout()` undefined,
   * `handleTimeout()` 0) and `openPublic`, `createPrivate`, `get`, `touch`, `delete`,
   * `setDelta` and `events` throw `CLOSED`.
   */
  close() {
    if (this.#closed) return;
    this.stopAutoSweep();
    this.#closed = true;
    CoreManager.prototype.free.call(this);
  }

  /** Whether `close()` (or `free()`) was called. */
  get isClosed() {
    return this.#closed;
  }

  /** The same as `close()` (wasm-bindgen's name for releasing the wasm memory). */
  free() {
    this.close();
  }

  openPublic(name, ttlMs) {
    this.#open("Manager.openPublic", name);
    this.#checkRoom(name, "Manager.openPublic");
    return this.#after(super.openPublic(name, ttlMs));
  }

  createPrivate(name, ttlMs) {
    this.#open("Manager.createPrivate", name);
    this.#checkRoom(name, "Manager.createPrivate");
    return this.#after(super.createPrivate(name, ttlMs));
  }

  /** `BUFFER_FULL` when `name` would be one live channel more than `maxChannels`. */
  #checkRoom(name, what) {
    if (this.size < this.#maxChannels) return;
    try {
      this.get(name); // it exists: re-opening it adds nothing
    } catch (e) {
      if (e?.code !== Code.CHANNEL_NOT_FOUND) throw e; // a bad name: its own error
      throw new LindyError(
        Code.BUFFER_FULL,
        `${what}: the manager holds its maxChannels ${this.#maxChannels} live channels; delete one or raise maxChannels`,
      );
    }
  }

  touch(name) {
    this.#open("Manager.touch", name);
    return this.#after(super.touch(name));
  }

  delete(name) {
    this.#open("Manager.delete", name);
    return this.#after(super.delete(name));
  }

  get(name) {
    this.#open("Manager.get", name);
    return super.get(name);
  }

  setDelta(name, enabled) {
    this.#open("Manager.setDelta", name);
    return super.setDelta(name, enabled);
  }

  events(options) {
    this.#open("Manager.events");
    const events = super.events(options);
    const pattern = options?.pattern;
    return labelIterator(events, pattern === undefined ? "Manager.events" : `Manager.events ${String(pattern)}`);
  }

  isOpen(name) {
    return this.#closed ? false : super.isOpen(name);
  }

  list() {
    return this.#closed ? [] : super.list();
  }

  get size() {
    return this.#closed ? 0 : super.size;
  }

  get nextDeadline() {
    return this.#closed ? undefined : super.nextDeadline;
  }

  sweep() {
    if (this.#closed) return 0;
    return this.#after(super.sweep());
  }

  /**
   * Expires every channel whose TTL has run out by now; returns how many (quinn-proto's name for
   * the sans-IO step; `sweep` is its deprecated alias).
   */
  handleTimeout() {
    return this.sweep();
  }

  /**
   * When (epoch ms) the next channel expires, or `undefined` if none will: call
   * `handleTimeout()` then (the `nextDeadline` getter is its deprecated alias).
   */
  pollTimeout() {
    return this.nextDeadline;
  }

  /** `CLOSED` after `close()`, naming the method and the channel. */
  #open(what, name) {
    if (!this.#closed) return;
    const shown = typeof name === "string" ? `("${name.length > 64 ? `${name.slice(0, 64)}…` : name}")` : "";
    throw new LindyError(Code.CLOSED, `${what}${shown}: the manager is closed`);
  }

  #after(result) {
    this.#arm();
    return result;
  }

  #disarm() {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm() {
    this.#disarm();
    if (!this.#auto) return;
    const deadline = this.pollTimeout();
    if (deadline === undefined) return; // nothing will expire: no timer keeps the process alive
    const delay = Math.min(Math.max(0, deadline - Date.now()), MAX_DELAY);
    // A timer that fires a little early sweeps nothing and re-arms for what is left.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.handleTimeout();
    }, delay);
  }
}

// `using manager = new Manager({ autoSweep: true })`: `close()` — stops the timer, ends the
// `events()` iterators, then frees the wasm memory.
disposeBy(Manager, "close");

function parseOptions(options) {
  if (options === undefined || options === null) return { auto: false, maxChannels: DEFAULT_MAX_CHANNELS };
  if (typeof options !== "object") throw typeError(`new Manager: options must be an object, got ${typeof options}`);
  for (const key of Object.keys(options)) {
    if (key !== "autoSweep" && key !== "maxChannels") {
      throw new LindyError(
        Code.INVALID_CONFIG,
        `new Manager: options has an unknown option "${key}" (known: autoSweep, maxChannels)`,
      );
    }
  }
  const auto = options.autoSweep ?? false;
  if (typeof auto !== "boolean") {
    throw typeError(`new Manager: options.autoSweep must be a boolean, got ${typeof auto}`);
  }
  const maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
  if (typeof maxChannels !== "number") {
    throw typeError(`new Manager: options.maxChannels must be a number, got ${typeof maxChannels}`);
  }
  if (!Number.isInteger(maxChannels) || maxChannels < 1 || maxChannels > 16_777_216) {
    throw rangeError(`new Manager: options.maxChannels must be an integer in 1..=16777216, got ${maxChannels}`);
  }
  return { auto, maxChannels };
}
