// A bench worker: `lanes` concurrent job loops, each `take` a job, "work", `out` a result, until it
// takes the STOP sentinel. Through the fan-out client (batched) or the RPC baseline (one message
// per operation) — the same loop, the same space on the main thread.
import { parentPort } from "node:worker_threads";
import { connect } from "../../src/fanout/client.js";
import { wrap } from "./rpc.js";

export const STOP = -1;

parentPort?.once("message", async ({ port, transport, lanes, leased }) => {
  const space = transport === "hub" ? connect(port, { locks: null }) : wrap(port);
  parentPort.postMessage({ ready: true });
  await new Promise((r) => parentPort.once("message", r)); // go
  let done = 0;
  const lane = async () => {
    for (;;) {
      if (leased) {
        const lease = await space.takeLeased("jobs");
        if (lease.value === STOP) return void (await lease.ack());
        space.out("results", lease.value * 2);
        await lease.ack();
      } else {
        const job = await space.take("jobs");
        if (job === STOP) return;
        await space.out("results", job * 2);
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  parentPort.postMessage({ done });
});
