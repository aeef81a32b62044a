// Compiled by the Node TypeScript consumer (ts-node, no DOM lib): the worker helpers and the
// fan-out layer type-check with Node's own MessagePort, AbortSignal and BroadcastChannel.
import { MessageChannel } from "node:worker_threads";
import { Space } from "lindy";
import { expose, wrap } from "lindy/workers";
import { BroadcastBus, connect, serve } from "lindy/fanout";

export async function hub(): Promise<void> {
  const space = new Space<{ file: string }>();
  const { port1, port2 } = new MessageChannel();
  const served = serve(space, port1, { locks: null });
  const remote = connect(port2, { locks: null });
  await remote.push("jobs", { file: "a.png" }, { transfer: [new ArrayBuffer(8)] });
  served.close();
  void expose;
  void wrap;
  const bus = new BroadcastBus("jobs");
  bus[Symbol.dispose]();
}
