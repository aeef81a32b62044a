// Browser and web-worker entry (also what bundlers pick): fetches the wasm next to the glue
// (`new URL(..., import.meta.url)`, so no bundler configuration is needed) and instantiates it
// before any export is used.
import init from "./dist/lindy.js";

await init();

export * from "./exports.js";
