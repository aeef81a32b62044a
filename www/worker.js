// A job worker. It needs no wasm: the space lives on the page, and the fan-out client speaks to it
// over the MessagePort the page hands us.
import { connect } from "../pkg-js/src/fanout/client.js";

self.onmessage = ({ data }) => {
  if (!data?.port) return;
  const remote = connect(data.port, { clientId: data.name });
  run(remote, data);
};

async function run(remote, { workMs, lanes, leaseMs }) {
  // Keep `lanes` leases in flight: while one job is worked on, the next ones are already here.
  // The ack of a finished job and the request for the next one are issued in the same task, so
  // they travel to the page as ONE message.
  const next = () => {
    const p = remote.takeLeased("jobs", { leaseMs });
    p.catch(() => {}); // when the page ends the run, requests still in flight reject with CLOSED
    return p;
  };
  const inFlight = Array.from({ length: lanes }, next);
  try {
    for (;;) {
      const lease = await inFlight.shift();
      work(lease.value, workMs);
      // The ack is what counts as "done": the page counts completions from the hub's ack events.
      lease.ack().catch((err) => console.warn(`job ${lease.value.id}: ${err.code}`, err.message));
      inFlight.push(next());
    }
  } catch {
    // The connection closed (the page finished or stopped the run): nothing left to do.
  }
}

// CPU work standing in for a real job (resize an image, parse a file, ...).
function work(job, ms) {
  const until = performance.now() + ms;
  let x = job.id;
  while (performance.now() < until) x = (x * 1103515245 + 12345) % 2147483648;
  return x;
}
