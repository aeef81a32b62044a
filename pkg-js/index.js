// The entry for browsers, web workers and bundlers (`import ... from "lindy"` everywhere but
// Node). It has no top-level await, so it fits every bundle format (esbuild's iife, Vite's worker
// iife, webpack, native ES modules): call `await init()` once before the first use.
import initWasm from "./dist/lindy.js";
import { installErrorClass } from "./src/init.js";

import "./src/augment.js";

export * from "./exports.js";
export { LindyError } from "./src/errors.js";
export { Manager } from "./src/manager.js";

// An iife bundle (esbuild's default format, Vite's default for workers) has no
// `import.meta.url`: there the wasm is looked for next to the running script, whose URL is only
// known while it evaluates (`document.currentScript`), so it is taken now.
const scriptUrl = globalThis.document?.currentScript?.src || globalThis.location?.href;

/**
 * Loads the WebAssembly module (once: later calls return the same promise). `source` is where
 * the wasm is: by default `lindy_bg.wasm` next to the package's glue (which Vite and webpack emit
 * as an asset), or next to the running script in an iife bundle.
 * @param {string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module} [source]
 * @returns {Promise<void>}
 */
export function init(source) {
  if (source === undefined && typeof import.meta.url !== "string" && scriptUrl) {
    source = new URL("lindy_bg.wasm", scriptUrl);
  }
  return initWasm({ module_or_path: source }).then(installErrorClass);
}
