// The `lindy/channels` entry for Node.js: ready when the import returns (see node.js).
import * as glue from "./dist/channels.js";
import { loadSync } from "./src/init-node.js";

loadSync(glue, "channels_bg.wasm");

export * from "./src/channels-api.js";

/** Resolves at once: in Node the module is loaded by the import itself. */
export function init() {
  return Promise.resolve();
}
