// Browser (module worker) entry of the bench worker (see loop.mjs).
import { benchWorker } from "./loop.mjs";

self.addEventListener(
  "message",
  ({ data: setup }) =>
    benchWorker(setup, (m) => self.postMessage(m), () => new Promise((r) => self.addEventListener("message", r, { once: true }))),
  { once: true },
);
