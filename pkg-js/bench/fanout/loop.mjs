// The job loop a bench worker runs, the same in a worker_threads worker and a browser worker:
// `lanes` concurrent loops, each `take` a job, compute, `push` a result, until it takes STOP.
// Through the fan-out client (batched) or the RPC baseline (one message per operation).
import { connect } from "../../src/fanout/client.js";
import { wrap } from "./rpc.js";

export const STOP = -1;

/**
 * @param {{ port: MessagePort, transport: "hub"|"rpc", lanes: number, leased: boolean }} setup
 * @param {(msg: unknown) => void} reply posts to the bench driver
 * @param {() => Promise<unknown>} go resolves when the driver says go
 */
export async function benchWorker({ port, transport, lanes, leased }, reply, go) {
  const space = transport === "hub" ? connect(port, { locks: null }) : wrap(port);
  reply({ ready: true });
  await go();
  let done = 0;
  const lane = async () => {
    for (;;) {
      if (leased) {
        const lease = await space.takeLeased("jobs");
        if (lease.value === STOP) return void (await lease.ack());
        space.push("results", lease.value * 2);
        await lease.ack();
      } else {
        const job = await space.take("jobs");
        if (job === STOP) return;
        await space.push("results", job * 2);
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  reply({ done });
}
