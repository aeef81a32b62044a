// The API of `lindy/store` (IdbStore), shared by its browser and Node files.
import { IdbStore } from "../dist/store.js";
import { augmentStore } from "./augment.js";

augmentStore({ IdbStore });

export { IdbStore };
export { LindyError } from "./errors.js";
