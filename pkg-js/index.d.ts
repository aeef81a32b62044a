// Types of the package: the classes and option types generated from the Rust surface (their
// parameter and return types are written out in the Rust attributes, and checked by
// test/types/usage.ts), minus the loader.
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
export { Space, SpaceKey } from "./src/space.js";
export type { SpaceOptions, LeasedEntry, LeaseWaitOptions } from "./src/space.js";
export type {
  ChannelEvent,
  ChannelInfo,
  EventsOptions,
  IdbStoreOptions,
  LindyError,
  LindyErrorCode,
  StreamsOptions,
  WaitOptions,
} from "./dist/lindy.js";
