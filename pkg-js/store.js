// The `lindy/store` entry for browsers and web workers: `IdbStore`, the durable queue on
// IndexedDB, with its own wasm. `IdbStore.open` and `IdbStore.deleteDatabase` load the wasm
// themselves on first use; `init()` is there to load it earlier.
import * as glue from "./dist/store.js";
import * as api from "./src/store-api.js";
import { guarded, initializer } from "./src/init.js";

const loader = initializer(glue, "store_bg.wasm", "lindy/store");

/**
 * Loads this entry's WebAssembly module (once: later calls resolve at once).
 * @param {string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module} [source]
 * @returns {Promise<void>}
 */
export const init = loader.init;

// Its statics are asynchronous anyway (`open`, `deleteDatabase`): they load the wasm first when
// nobody has yet, so a page needs no `init()` for the store.
const LOADING = ["open", "deleteDatabase"];
for (const name of LOADING) {
  const method = api.IdbStore[name];
  Object.defineProperty(api.IdbStore, name, {
    value: {
      async [name](...args) {
        if (!loader.ready()) await loader.init();
        return method.apply(api.IdbStore, args);
      },
    }[name],
    writable: true,
    configurable: true,
  });
}

export const IdbStore = guarded(api.IdbStore, loader, LOADING);
export { LindyError } from "./src/store-api.js";
