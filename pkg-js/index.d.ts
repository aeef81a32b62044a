// The types of `lindy`, written for users: generic where values pass through (`Space<T>`), `undefined` refused where it means "nothing there", and no
// dependency on the DOM lib or on Node's types (so a Node project without `lib: ["DOM"]`, a
// browser project without `@types/node`, and a worker project all compile). Kept equal to the
// runtime by test/types.test.mjs (every runtime class, method and property is declared here, and
// nothing else).
import type { LindyErrorCode } from "./src/errors.js";

export { LindyError } from "./src/errors.js";
export type { LindyArgumentError, LindyErrorCode } from "./src/errors.js";

declare global {
  // Declared here as in @types/node: the explicit-resource-management symbols, for projects whose
  // `lib` predates them (`using space = new Space()` needs TypeScript 5.2+ and a runtime that has them).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/** Any value lindy stores and hands back: everything but `undefined`, which means "nothing there". */
export type Value = {} | null;

/** An `AbortSignal` (the DOM's, Node's or a worker's: only these members are relied on). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/**
 * Cancels a wait: `signal` rejects it with `ABORTED` (`TIMEOUT` for `AbortSignal.timeout()`),
 * `timeoutMs` with `TIMEOUT` (`Infinity`: no timeout). Nothing is taken. Any other option is an
 * `INVALID_CONFIG` error.
 */
export interface WaitOptions {
  signal?: AbortSignalLike;
  timeoutMs?: number;
}

/** Where `init` finds the wasm: a URL (string or `URL`), a fetch `Response` or a promise of one, the bytes, or a compiled `WebAssembly.Module`. */
export type InitSource = string | { readonly href: string } | ArrayBuffer | ArrayBufferView | PromiseLike<unknown> | object;

/**
 * Loads this entry's WebAssembly module. In browsers, workers and bundles call it once before the
 * first use (later calls resolve at once; before it, the classes throw `NOT_INITIALIZED`); by
 * default the wasm is `lindy_bg.wasm` next to the package's glue, which Vite and webpack emit as
 * an asset. In Node it resolves at once: the import itself loaded the module. `lindy/ring`,
 * `lindy/channels` and `lindy/store` have their own wasm and their own `init`.
 */
export function init(source?: InitSource): Promise<void>;

export { Space, SpaceKey } from "./src/space.js";
export type { Entry, LeasedEntry, LeaseWaitOptions, SpaceOptions } from "./src/space.js";

/** A validated channel name: `<public|private>:<app>.<domain>[.<id>][.<topic>]`. */
export class Name {
  private constructor();
  /** Parses a channel name; throws a `CHANNEL_INVALID` `LindyError` with `.segment` and `.offset`. */
  static parse(s: string): Name;
  /** Whether `s` is a valid channel name (never throws). */
  static isValid(s: unknown): boolean;
  /** `"public"` or `"private"`. */
  readonly visibility: "public" | "private";
  /** Whether the name is in the private namespace. */
  readonly isPrivate: boolean;
  /** The first segment. */
  readonly app: string;
  /** The second segment. */
  readonly domain: string;
  /** The third segment, if any. */
  readonly id: string | undefined;
  /** The fourth segment, if any. */
  readonly topic: string | undefined;
  /** The segments after the visibility. */
  readonly segments: string[];
  /** The canonical string, e.g. `"public:chat.rooms.lobby"`. */
  toString(): string;
  /** The canonical string (so `JSON.stringify` writes the name). */
  toJSON(): string;
  free(): void;
  [Symbol.dispose](): void;
}

/** A channel pattern: `*` matches one segment, a final `**` one or more. */
export class Pattern {
  private constructor();
  /** Parses a pattern; throws a `PATTERN_INVALID` `LindyError` with `.segment` and `.offset`. */
  static parse(s: string): Pattern;
  /** Whether `name` matches (a string that is not a valid name matches nothing). */
  matches(name: Name | string): boolean;
  /** Whether the pattern has no wildcard. */
  readonly isExact: boolean;
  /** A pattern only matches names of its own visibility. */
  readonly visibility: "public" | "private";
  toString(): string;
  toJSON(): string;
  free(): void;
  [Symbol.dispose](): void;
}
