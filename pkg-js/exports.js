// The API of the `lindy` entry (Space, the channel grammar), shared by its browser and Node
// files. The generated glue also exports `default`/`initSync` (the loader) and `SpaceCore` (the
// engine behind `Space`), which stay out of the API. Ring is `lindy/ring`, IdbStore is
// `lindy/store` and Manager/Streams/PatternIndex are `lindy/channels`: each entry loads only its
// own wasm.
import { Name, Pattern } from "./dist/lindy.js";
import { augmentCore } from "./src/augment.js";
// Space is a JS class over the wasm engine: values, keys and promises stay on the JS side and
// only numbers cross into wasm on the hot path (src/space.js, docs/js-internals.md).
import { Space, SpaceKey } from "./src/space.js";

augmentCore({ Space, SpaceKey, Name, Pattern });

export { Name, Pattern, Space, SpaceKey };
export { LindyError } from "./src/errors.js";
