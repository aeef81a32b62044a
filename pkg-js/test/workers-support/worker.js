// A worker as users write one: wrap(), then the Space's calls as promises. `?delay=ms` calls wrap
// that much later (the page's first handshake message is then long gone).
import { wrap } from "/src/workers.js";

const delay = Number(new URL(import.meta.url).searchParams.get("delay") ?? 0);
if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

const space = wrap();
await space.out("ready", self.name);
for (;;) {
  const job = await space.take("jobs");
  if (job === "stop") break;
  await space.out("results", { job, by: self.name });
}
space.disconnect();
