// The entry for Node.js (`import` and `require` alike: it has no top-level await, so Node's
// `require(esm)` loads it). The wasm is read from disk and compiled synchronously, so the API is
// ready as soon as the import returns; `init()` is there for code shared with browsers.
import { readFileSync } from "node:fs";
import { initSync } from "./dist/lindy.js";
import { installErrorClass } from "./src/init.js";

initSync({ module: readFileSync(new URL("./dist/lindy_bg.wasm", import.meta.url)) });
installErrorClass();

import "./src/augment.js";

export * from "./exports.js";
export { LindyError } from "./src/errors.js";
export { Manager } from "./src/manager.js";

/** Resolves at once: in Node the module is loaded by the import itself. */
export function init() {
  return Promise.resolve();
}
