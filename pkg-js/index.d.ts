// Types of the package: the classes and option types generated from the Rust surface (their
// parameter and return types are written out in the Rust attributes, and checked by
// test/types/usage.ts), minus the loader, plus `init` and the `LindyError` class.
export {
  IdbStore,
  LindyIterator,
  Manager,
  Name,
  Pattern,
  PatternIndex,
  Ring,
  Space,
  SpaceKey,
  StreamReader,
  StreamWriter,
  Streams,
} from "./dist/lindy.js";
export type {
  ChannelEvent,
  ChannelInfo,
  EventsOptions,
  IdbStoreOptions,
  LindyErrorCode,
  StreamsOptions,
  WaitOptions,
} from "./dist/lindy.js";
import type { LindyErrorCode } from "./dist/lindy.js";

/**
 * Loads the WebAssembly module; call once before the first use (later calls return the same
 * promise). In Node it resolves at once: the import itself loads the module.
 */
export function init(source?: string | URL | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView | object): Promise<void>;

/** Every lindy error: `code` is one of the stable codes. */
export class LindyError extends Error {
  constructor(code: LindyErrorCode, message: string, details?: { cause?: unknown; value?: unknown; segment?: number; offset?: number });
  readonly name: "LindyError";
  readonly code: LindyErrorCode;
  /** The segment of a channel name or pattern that broke the grammar (0 = the app). */
  readonly segment?: number;
  /** Where in a channel name or pattern the grammar broke, in bytes. */
  readonly offset?: number;
  /** What a closed object refused, handed back. */
  readonly value?: unknown;
}
