// The `lindy/store` entry for browsers and web workers: `IdbStore`, the durable queue on
// IndexedDB, with its own wasm. `IdbStore.open` loads the wasm itself on first use; `init()` is
// there to load it earlier (other statics throw `NOT_INITIALIZED` before it resolved).
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

// Opening a store is asynchronous anyway: it loads the wasm first when nobody has yet.
const open = api.IdbStore.open;
Object.defineProperty(api.IdbStore, "open", {
  value: {
    async open(...args) {
      if (!loader.ready()) await loader.init();
      return open.apply(api.IdbStore, args);
    },
  }.open,
  writable: true,
  configurable: true,
});

export const IdbStore = guarded(api.IdbStore, loader, ["open"]);
export { LindyError } from "./src/store-api.js";
