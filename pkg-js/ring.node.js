// The `lindy/ring` entry for Node.js: ready when the import returns (see node.js).
import * as glue from "./dist/ring.js";
import { loadSync } from "./src/init-node.js";

loadSync(glue, "ring_bg.wasm");

export * from "./src/ring-api.js";

/** Resolves at once: in Node the module is loaded by the import itself. */
export function init() {
  return Promise.resolve();
}
