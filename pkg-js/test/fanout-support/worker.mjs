// A worker_threads job worker for the fan-out tests: connects to the hub and works leased jobs.
//   mode "work": take leased jobs forever, ack each (a window of `window` leases in flight)
//   mode "hold": lease `count` jobs, report them, and never ack (the test then kills us)
import { parentPort } from "node:worker_threads";
import { connect } from "../../src/fanout/client.js";

// `node --test test/` also runs this file on the main thread, where there is no parentPort.
parentPort?.once("message", async ({ port, mode, count = 1, window = 4, key = "jobs" }) => {
  const remote = connect(port, { locks: null, heartbeatMs: 50 });
  if (mode === "hold") {
    const leases = await Promise.all(Array.from({ length: count }, () => remote.takeLeased(key)));
    parentPort.postMessage({ held: leases.map((l) => l.value) });
    return;
  }
  const lane = async () => {
    for (;;) {
      const lease = await remote.takeLeased(key);
      // "Work": a little CPU so the workers interleave.
      let x = 0;
      for (let i = 0; i < 2000; i++) x += Math.sqrt(i);
      if (x < 0) throw new Error("unreachable");
      await lease.ack();
      parentPort.postMessage({ did: lease.value });
    }
  };
  await Promise.all(Array.from({ length: window }, lane)).catch(() => {});
});
