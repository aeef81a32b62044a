// The `lindy` entry for browsers, web workers and bundlers (everywhere but Node): Space and the
// channel grammar (Ring is `lindy/ring`). It has no top-level await, so it fits every bundle
// format (esbuild's iife, Vite's worker iife, webpack, native ES modules): call `await init()`
// once before the first use; before that, every class throws `NOT_INITIALIZED`.
import * as glue from "./dist/lindy.js";
import * as api from "./exports.js";
import { guarded, initializer } from "./src/init.js";

const loader = initializer(glue, "lindy_bg.wasm", "lindy");

/**
 * Loads this entry's WebAssembly module (once: later calls resolve at once).
 * @param {string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module} [source]
 * @returns {Promise<void>}
 */
export const init = loader.init;

export const Space = guarded(api.Space, loader);
export const Name = guarded(api.Name, loader);
export const Pattern = guarded(api.Pattern, loader);
export { LindyError, SpaceKey } from "./exports.js";
