// The `lindy` entry for Node.js (`import` and `require` alike: it has no top-level await, so
// Node's `require(esm)` loads it). The wasm is read from disk and compiled synchronously, so the
// API is ready as soon as the import returns; `init()` is there for code shared with browsers.
import * as glue from "./dist/lindy.js";
import { loadSync } from "./src/init-node.js";

loadSync(glue, "lindy_bg.wasm");

export * from "./exports.js";

/** Resolves at once: in Node the module is loaded by the import itself. */
export function init() {
  return Promise.resolve();
}
