// How the Node files of the entries load their wasm: read from the package's `dist/` and compiled
// synchronously, so an entry is ready when its import returns (and `require()` works).
import { readFileSync } from "node:fs";
import { installErrorClass } from "./init.js";

/** Instantiates `glue` with `dist/<wasmFile>`, then hands it the `LindyError` class. */
export function loadSync(glue, wasmFile) {
  glue.initSync({ module: readFileSync(new URL(`../dist/${wasmFile}`, import.meta.url)) });
  installErrorClass(glue);
}
