// The public API, shared by both entries. The generated glue also exports `default`/`initSync`
// (the loader), which the entries call themselves and keep out of the API.
export {
  IdbStore,
  LindyIterator,
  Manager,
  Name,
  Pattern,
  PatternIndex,
  Ring,
  Space,
  SpaceKey,
  StreamReader,
  StreamWriter,
  Streams,
} from "./dist/lindy.js";

// Space's hot methods take a faster path for keys JS has already checked (see fast.js).
import { Space as SpaceClass } from "./dist/lindy.js";
import { installFastPaths } from "./fast.js";
installFastPaths(SpaceClass);
