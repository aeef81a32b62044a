// The `lindy/channels` entry for browsers, web workers and bundlers: channel lifecycle
// (`Manager`), named byte streams (`Streams`) and the subscription index (`PatternIndex`), with their own wasm. Call `await init()` from
// this entry once before the first use; before that, its classes throw `NOT_INITIALIZED`.
import * as glue from "./dist/channels.js";
import * as api from "./src/channels-api.js";
import { guarded, initializer } from "./src/init.js";

const loader = initializer(glue, "channels_bg.wasm", "lindy/channels");

/**
 * Loads this entry's WebAssembly module (once: later calls resolve at once).
 * @param {string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module} [source]
 * @returns {Promise<void>}
 */
export const init = loader.init;

export const Manager = guarded(api.Manager, loader);
export const Streams = guarded(api.Streams, loader);
export const PatternIndex = guarded(api.PatternIndex, loader);
export { LindyError, LindyIterator, StreamReader, StreamWriter } from "./src/channels-api.js";
