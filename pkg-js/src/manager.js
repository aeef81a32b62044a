// `Manager` with `{ autoSweep: true }`: the wasm Manager expires channels only when swept (the
// core is sans-IO: it answers `nextDeadline`, and whoever owns the clock acts). This subclass owns
// a timer armed for `nextDeadline`, re-armed after every call that can move it, so channels expire
// on time without the caller running a sweep loop.
import { Manager as CoreManager } from "../dist/channels.js";
import { LindyError, Code, rangeError, typeError } from "./errors.js";

// setTimeout's longest delay; a later deadline is reached in steps.
const MAX_DELAY = 2_147_483_647;
/** Default of `maxChannels`: live channels a manager holds at once. */
export const DEFAULT_MAX_CHANNELS = 65_536;

export class Manager extends CoreManager {
  #auto = false;
  #timer = undefined;
  #maxChannels = DEFAULT_MAX_CHANNELS;

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

  openPublic(name, ttlMs) {
    this.#checkRoom(name, "Manager.openPublic");
    return this.#after(super.openPublic(name, ttlMs));
  }

  createPrivate(name, ttlMs) {
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
    return this.#after(super.touch(name));
  }

  delete(name) {
    return this.#after(super.delete(name));
  }

  sweep() {
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

// `using manager = new Manager({ autoSweep: true })`: stops the timer, then frees the wasm memory.
if (Symbol.dispose) {
  Object.defineProperty(Manager.prototype, Symbol.dispose, {
    value: function dispose() {
      this.stopAutoSweep();
      this.free();
    },
    writable: true,
    configurable: true,
  });
}

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
