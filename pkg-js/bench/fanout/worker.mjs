// worker_threads entry of the bench worker (see loop.mjs).
import { parentPort } from "node:worker_threads";
import { benchWorker } from "./loop.mjs";

parentPort?.once("message", (setup) =>
  benchWorker(setup, (m) => parentPort.postMessage(m), () => new Promise((r) => parentPort.once("message", r))),
);
