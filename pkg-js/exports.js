// The public API, shared by every entry. The generated glue also exports `default`/`initSync`
// (the loader) and `SpaceCore` (the engine behind `Space`), which stay out of the API.
export {
  IdbStore,
  LindyIterator,
  Manager,
  Name,
  Pattern,
  PatternIndex,
  Ring,
  StreamReader,
  StreamWriter,
  Streams,
} from "./dist/lindy.js";

// Space is a JS class over the wasm engine: values, keys and promises stay on the JS side and
// only numbers cross into wasm on the hot path (src/space.js, docs/js-internals.md).
export { Space, SpaceKey } from "./src/space.js";
