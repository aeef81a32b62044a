import * as lindy from "lindy";
import * as channels from "lindy/channels";
import * as store from "lindy/store";
import * as ring from "lindy/ring";
import { expose } from "lindy/workers";
import { report, shareWithWorker, smoke } from "../smoke.js";

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
report(Promise.all([smoke(lindy, channels, store, ring), shareWithWorker(lindy, expose, worker)]));
