import * as lindy from "lindy";
import * as channels from "lindy/channels";
import * as store from "lindy/store";
import * as ring from "lindy/ring";
import { smoke } from "../smoke.js";

console.log(await smoke(lindy, channels, store, ring));
