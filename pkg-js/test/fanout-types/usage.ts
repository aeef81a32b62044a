// Compiled by test/fanout-types.test.mjs with `tsc --noEmit`: the calls below must type-check and
// the `@ts-expect-error` lines must fail to, so the hand-written fan-out types are real, not `any`.
import {
  BroadcastBus,
  Code,
  Connection,
  Lease,
  LindyError,
  RemoteSpace,
  SharedQueue,
  connect,
  openSharedQueue,
  serve,
  shareEvents,
} from "../../src/fanout/index.js";
import type { HubEvent, ServableSpace } from "../../src/fanout/index.js";
import { Space } from "lindy";
import { Manager } from "lindy/channels";

// The package's own Space is what `serve` takes (catches drift between the two surfaces).
const space: ServableSpace = new Space();

export async function hub(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  const events: HubEvent[] = [];
  const conn: Connection = serve(space, port1, { defaultLeaseMs: 5000, heartbeatTimeoutMs: 3000, onEvent: (e) => events.push(e) });
  const leased: number = conn.leased;
  conn.close("done");
  for (const e of events) {
    if (e.type === "disconnect") {
      const n: number = e.returned;
    }
    if (e.type === "ack") {
      const id: number = e.leaseId;
    }
  }
  // @ts-expect-error the port is required
  serve(space);
  // @ts-expect-error not an option
  serve(space, port2, { leaseMs: 5 });
}

export async function worker(port: MessagePort): Promise<void> {
  const remote: RemoteSpace = connect(port, { heartbeatMs: 1000 });
  await remote.push("jobs", { id: 1 });
  await remote.push("bytes", new Uint8Array(8), { transfer: true });
  await remote.pushMany("jobs", [{ id: 2 }]);
  const head: { id: number } | undefined = await remote.tryPeek<{ id: number }>("jobs");
  const same: { id: number } = await remote.peek<{ id: number }>("jobs", { timeoutMs: 10 });
  // The old names still type-check (deprecated aliases).
  await remote.out("jobs", { id: 3 });
  void head;
  void same;
  const job = await remote.take<{ id: number }>("jobs", { signal: AbortSignal.timeout(100), timeoutMs: 50, transfer: true });
  const id: number = job.id;
  const maybe: string | undefined = await remote.tryTake<string>("jobs");
  const n: number = await remote.len("jobs");
  const hit = await remote.takeMatching<number>("public:app.*");
  const key: string = hit.key;
  for await (const v of remote.takeEach<number>("jobs")) {
    const x: number = v;
    break;
  }
  const lease: Lease<{ id: number }> = await remote.takeLeased<{ id: number }>("jobs", { leaseMs: 10_000 });
  const deadline: number = await lease.extend(5000);
  const lost: AbortSignal = lease.signal;
  await lease.ack();
  remote.disconnect();
  // @ts-expect-error keys are strings
  remote.take(1);
  // @ts-expect-error leaseMs is a number
  remote.takeLeased("jobs", { leaseMs: "10s" });
  try {
    await lease.nack();
  } catch (e) {
    const code: string = (e as LindyError).code;
    const lostCode: "LEASE_LOST" = Code.LEASE_LOST;
  }
}

export async function crossTab(open: (name: string) => Promise<{
  push(key: string, value: Uint8Array): Promise<void>;
  pull(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  tryPull(key: string): Promise<Uint8Array | undefined>;
  peek(key: string): Uint8Array | undefined;
  len(key: string): number;
  keys(): string[];
}>): Promise<void> {
  const bus = new BroadcastBus<{ kind: string; name: string }>("lindy.events", { nodeId: "tab-1" });
  for await (const ev of shareEvents(new Manager(), bus)) {
    const remote: boolean = ev.remote;
    const origin: string = ev.origin;
    const kind: string = ev.kind;
    break;
  }
  await bus.publish({ kind: "opened", name: "public:app.x" });
  const stop: () => void = bus.subscribe((ev, from) => {
    const k: string = ev.kind;
  });
  stop();
  // @ts-expect-error the event type is checked
  await bus.publish({ nope: true });

  const queue: SharedQueue = openSharedQueue("db", { open, onRoleChange: (role) => role === "leader" });
  await queue.push("k", new Uint8Array([1]));
  const v: Uint8Array = await queue.take("k", { signal: AbortSignal.timeout(10) });
  const maybe: Uint8Array | undefined = await queue.tryTake("k");
  // The old names still type-check (deprecated aliases).
  const old: Uint8Array = await queue.pull("k");
  const len: number = await queue.len("k");
  // @ts-expect-error payloads are bytes
  await queue.push("k", "text");
  queue.close();
}

// The Space's words (docs/vocabulary.md), typed; the old names stay callable.
export async function spaceWords(): Promise<void> {
  const jobs = new Space<{ id: number }>();
  jobs.push("jobs", { id: 1 });
  const stored: boolean = jobs.tryPush("jobs", { id: 2 });
  jobs.pushFront("jobs", { id: 0 });
  jobs.pushMany("jobs", [{ id: 3 }]);
  const head: { id: number } | undefined = jobs.tryPeek("jobs");
  const first: { id: number } = await jobs.peek("jobs", { timeoutMs: 10 });
  const key = jobs.key("jobs");
  key.push({ id: 4 });
  const some: { id: number }[] = key.takeMany(2);
  jobs.out("jobs", { id: 5 });
  // @ts-expect-error: undefined means "nothing there"
  jobs.tryPush("jobs", undefined);
  // @ts-expect-error: the space holds { id: number }
  key.push("text");
  void [stored, head, first, some];
}
