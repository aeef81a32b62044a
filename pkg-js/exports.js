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
  StreamReader,
  StreamWriter,
  Streams,
} from "./dist/lindy.js";
