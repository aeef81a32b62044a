// Types of the package: the classes and option types generated from the Rust surface (their
// parameter and return types are written out in the Rust attributes, and checked by
// test/types.test.mjs), minus the loader.
export { IdbStore, Name, Pattern, PatternIndex } from "./dist/lindy.js";
export type { WaitOptions, IdbStoreOptions, LindyError, LindyErrorCode } from "./dist/lindy.js";
