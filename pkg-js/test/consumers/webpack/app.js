import * as lindy from "lindy";
import { fromWorker, report, smoke } from "../smoke.js";

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
report(Promise.all([smoke(lindy), fromWorker(worker)]));
