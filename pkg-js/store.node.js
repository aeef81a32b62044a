// The `lindy/store` entry for Node.js: ready when the import returns (see node.js). Node has no
// IndexedDB: `IdbStore.open` there rejects with a coded `IO` error, unless a polyfill (e.g.
// fake-indexeddb) provides `indexedDB` and the Web Locks API.
import * as glue from "./dist/store.js";
import { loadSync } from "./src/init-node.js";

loadSync(glue, "store_bg.wasm");

export * from "./src/store-api.js";

/** Resolves at once: in Node the module is loaded by the import itself. */
export function init() {
  return Promise.resolve();
}
