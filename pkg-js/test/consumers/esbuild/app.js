import * as lindy from "lindy";
import * as channels from "lindy/channels";
import * as store from "lindy/store";
import * as ring from "lindy/ring";
import { expose } from "lindy/workers";
import { report, shareWithWorker, smoke } from "../smoke.js";

// esbuild bundles each entry point on its own: the worker is its own bundle, next to this one.
const worker = new Worker("worker.js");
report(Promise.all([smoke(lindy, channels, store, ring), shareWithWorker(lindy, expose, worker)]));
