// Compiled by both TypeScript consumers (ts-node: lib es2022 + @types/node, no DOM; ts-dom: the
// DOM lib, no Node types), with skipLibCheck off: the package's types must stand on either.
import { init, LindyError, Name, Space } from "lindy";
import { Ring } from "lindy/ring";
import { Manager, init as initChannels } from "lindy/channels";
import { IdbStore } from "lindy/store";
import type { LindyErrorCode, WaitOptions } from "lindy";

export async function usage(): Promise<LindyErrorCode | number> {
  await init();
  await initChannels();
  const open: (dbName: string) => Promise<IdbStore> = (n) => IdbStore.open(n);
  void open;
  const space = new Space<{ id: number }>();
  space.out("jobs", { id: 1 });
  const options: WaitOptions = { signal: AbortSignal.timeout(1000), timeoutMs: Infinity };
  const job = await space.take("jobs", options);
  const ring = new Ring<string>(2);
  ring.tryPush("x");
  const manager = new Manager({ autoSweep: true });
  manager.openPublic("public:chat.rooms", 1000);
  manager.stopAutoSweep();
  try {
    Name.parse("bad");
  } catch (e) {
    if (e instanceof LindyError) return e.code;
  }
  return job.id;
}
