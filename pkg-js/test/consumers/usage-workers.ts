// Compiled by the browser TypeScript consumer (ts-dom): the worker helpers and the fan-out layer,
// whose types use the DOM's MessagePort and Web Locks.
import { Space } from "lindy";
import { expose, wrap } from "lindy/workers";
import { BroadcastBus, LindyError as FanoutError } from "lindy/fanout";
import { LindyError } from "lindy";

export async function page(worker: Worker): Promise<number> {
  const space = new Space<{ file: string }>();
  const exposed = expose(space, worker);
  const served: number = exposed.connections.size;
  exposed.close();
  const same: typeof LindyError = FanoutError;
  void same;
  const bus = new BroadcastBus("jobs");
  bus[Symbol.dispose]();
  return served;
}

export async function inWorker(): Promise<void> {
  const space = wrap();
  const job = await space.take("jobs", { timeoutMs: Infinity });
  await space.out("results", job);
  // @ts-expect-error: a misspelt option
  await space.take("jobs", { timeout: 10 });
  space[Symbol.dispose]();
}
