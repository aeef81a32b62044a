import * as lindy from "lindy";
import { expose } from "lindy/workers";
import { report, shareWithWorker, smoke } from "../smoke.js";

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
report(Promise.all([smoke(lindy), shareWithWorker(lindy, expose, worker)]));
