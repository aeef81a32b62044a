// The `lindy/ring` entry for browsers, web workers and bundlers: `Ring`, the bounded FIFO, with its
// own wasm (its waits run as Rust futures, which `Space` in `lindy` does not need). Call
// `await init()` from this entry once before the first use; before that, `Ring` throws
// `NOT_INITIALIZED`.
import * as glue from "./dist/ring.js";
import * as api from "./src/ring-api.js";
import { guarded, initializer } from "./src/init.js";

const loader = initializer(glue, "ring_bg.wasm", "lindy/ring");

/**
 * Loads this entry's WebAssembly module (once: later calls resolve at once).
 * @param {string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module} [source]
 * @returns {Promise<void>}
 */
export const init = loader.init;

export const Ring = guarded(api.Ring, loader);
export { LindyError, LindyIterator } from "./src/ring-api.js";
