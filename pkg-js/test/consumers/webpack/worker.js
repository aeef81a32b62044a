import * as lindy from "lindy";
import * as channels from "lindy/channels";
import * as store from "lindy/store";
import * as ring from "lindy/ring";
import { wrap } from "lindy/workers";
import { answer } from "../smoke.js";

answer(lindy, wrap, channels, store, ring);
