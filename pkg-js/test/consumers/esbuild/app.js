import * as lindy from "lindy";
import { fromWorker, report, smoke } from "../smoke.js";

// esbuild bundles each entry separately: the worker is its own bundle, next to this one.
const worker = new Worker("worker.js");
report(Promise.all([smoke(lindy), fromWorker(worker)]));
