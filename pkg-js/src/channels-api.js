// The API of `lindy/channels` (Manager, Streams, PatternIndex), shared by its browser and Node files.
import { LindyIterator, PatternIndex, StreamReader, StreamWriter, Streams } from "../dist/channels.js";
import { augmentChannels } from "./augment.js";
import { Manager } from "./manager.js";

augmentChannels({ Manager, Streams, StreamWriter, StreamReader, PatternIndex, LindyIterator });

export { LindyIterator, Manager, PatternIndex, StreamReader, StreamWriter, Streams };
export { LindyError } from "./errors.js";
