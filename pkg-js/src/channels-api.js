// The API of `lindy/channels` (Manager, Streams), shared by its browser and Node files.
import { LindyIterator, StreamReader, StreamWriter, Streams } from "../dist/channels.js";
import { augmentChannels } from "./augment.js";
import { Manager } from "./manager.js";

augmentChannels({ Manager, Streams, StreamWriter, StreamReader, LindyIterator });

export { LindyIterator, Manager, StreamReader, StreamWriter, Streams };
export { LindyError } from "./errors.js";
