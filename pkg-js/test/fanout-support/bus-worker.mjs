// A node of the bus in another thread: reports what it receives, publishes on request.
import { parentPort, workerData } from "node:worker_threads";
import { BroadcastBus } from "../../src/fanout/broadcast-bus.js";

// `node --test test/` also runs this file on the main thread, where there is no parentPort.
if (parentPort) {
  const bus = new BroadcastBus(workerData.channel, { nodeId: workerData.nodeId });
  bus.subscribe((ev, from) => parentPort.postMessage({ got: ev, from }));
  parentPort.on("message", async (m) => {
    if (m.publish) await bus.publish(m.publish);
    if (m.close) {
      bus.close();
      parentPort.close();
    }
  });
  parentPort.postMessage({ ready: true });
}
