// Workers do not see the page's import map: the package is imported by its path.
import * as lindy from "/node_modules/lindy/index.js";
import * as channels from "/node_modules/lindy/channels.js";
import * as store from "/node_modules/lindy/store.js";
import * as ring from "/node_modules/lindy/ring.js";
import { wrap } from "/node_modules/lindy/src/workers.js";
import { answer } from "../smoke.js";

answer(lindy, wrap, channels, store, ring);
