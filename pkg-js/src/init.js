// What every entry does once the wasm module is instantiated.
import { __setErrorClass } from "../dist/lindy.js";
import { LindyError } from "./errors.js";

/** Hands the wasm core the `LindyError` class, so its errors are real instances (`instanceof`). */
export function installErrorClass() {
  __setErrorClass(LindyError);
}
