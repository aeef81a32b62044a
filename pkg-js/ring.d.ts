// The types of `lindy/ring`: `Ring<T>`, a bounded FIFO, with its own wasm and its own `init()`.
// Kept equal to the runtime by test/types.test.mjs.
import type { InitSource, Value, WaitOptions } from "./index.js";

export { LindyError } from "./src/errors.js";
export type { LindyArgumentError, LindyErrorCode } from "./src/errors.js";
export type { InitSource, Value, WaitOptions } from "./index.js";

/**
 * Loads this entry's WebAssembly module (`ring_bg.wasm`): in browsers, workers and bundles once
 * before the first `new Ring()` (before it, `Ring` throws `NOT_INITIALIZED`). In Node it resolves
 * at once.
 */
export function init(source?: InitSource): Promise<void>;

/**
 * A bounded FIFO of values. A full ring refuses (`tryPush` → `false`) or makes `push` wait; after
 * `close()`, pushes fail with `CLOSED` and pops drain what is left, then see `undefined`.
 */
export class Ring<T extends Value = Value> {
  /** A ring holding up to `capacity` values (an integer from 1 to 16 777 216). */
  constructor(capacity: number);
  /** Appends `value` if there is room: `true` if pushed, `false` if full. Throws `CLOSED` after `close()`. */
  tryPush(value: T): boolean;
  /** Appends `value`, waiting for room (`CLOSED`, `ABORTED`, `TIMEOUT`: then it was not pushed). */
  push(value: T, options?: WaitOptions): Promise<void>;
  /** Removes and returns the oldest value, or `undefined` if the ring is empty. */
  tryTake(): T | undefined;
  /** Removes and returns the oldest value, waiting for one; `undefined` once closed and drained. */
  take(options?: WaitOptions): Promise<T | undefined>;
  /** @deprecated the old name of `tryTake` (docs/vocabulary.md). */
  tryPop(): T | undefined;
  /** @deprecated the old name of `take` (docs/vocabulary.md). */
  pop(options?: WaitOptions): Promise<T | undefined>;
  /** Closes the ring; returns `true` the first time. */
  close(): boolean;
  /** The most values the ring holds. */
  readonly capacity: number;
  /** Whether `close()` was called. */
  readonly isClosed: boolean;
  /** Values held now. */
  readonly length: number;
  /** Pops until the ring is closed and drained: `for await (const v of ring)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
  free(): void;
  /** `close()`: for `using ring = new Ring(8)`. */
  [Symbol.dispose](): void;
}

/**
 * The async iterator behind `for await` over a `Ring` (and, in `lindy/channels`,
 * `Manager.events` and `StreamReader`).
 * `break` (or `return()`) stops early and releases what it holds.
 */
export class LindyIterator<T = unknown> {
  private constructor();
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): LindyIterator<T>;
  free(): void;
  /** `return()`: for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
