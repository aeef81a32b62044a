// The API of `lindy/ring` (Ring and the async iterator it hands out), shared by its browser and
// Node files.
import { LindyIterator, Ring } from "../dist/ring.js";
import { augmentRing } from "./augment.js";

augmentRing({ Ring, LindyIterator });

export { LindyIterator, Ring };
export { LindyError } from "./errors.js";
