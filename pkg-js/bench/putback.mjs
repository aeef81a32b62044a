// The fan-out hub's put-back of returned leases: ns per return with 100 and with 100 000 entries
// queued under the key. The hub returns a lease through the space's engine (`nack`: O(1), the
// entry keeps its age); the peer row is what the hub did before — drain the key and refill it
// behind the returned entry, O(entries) and a fresh age for every entry. The same function runs
// in Node and in the page (it imports the package itself).
export async function putbackBench({ returns, depths, fanoutUrl, peerReturns, rounds }) {
  const { Space } = await import("lindy");
  const { HeldLeases } = await import(fanoutUrl);

  // The old requeue.js, verbatim in effect: drain, append the returned entry, append the rest.
  function drainAndRefill(space, key, value) {
    const drained = [];
    for (let chunk = space.takeMany(key, 65_536); chunk.length > 0; chunk = space.takeMany(key, 65_536)) {
      for (const v of chunk) drained.push(v);
    }
    space.out(key, value);
    for (const v of drained) space.out(key, v);
  }

  // One measurement: `returns` leases over a key with `depth` entries queued behind them,
  // returned through the hub's bookkeeping in `order`; ns per return.
  const lindyOnce = (depth, order) => {
    const space = new Space();
    const held = new HeldLeases(space);
    for (let i = 0; i < returns + depth; i++) space.out("jobs", i);
    const leases = [];
    for (let i = 0; i < returns; i++) leases.push(held.hold("jobs", space.tryTakeLeased("jobs", { leaseMs: 600_000 })).id);
    if (space.len("jobs") !== depth) throw new Error(`expected ${depth} queued`);
    if (order === "newest first") leases.reverse();
    const t0 = performance.now();
    for (const id of leases) held.nack(id);
    const dt = performance.now() - t0;
    if (space.len("jobs") !== depth + returns) throw new Error("returns lost");
    // Age kept: the returned entries are back in front, oldest first.
    const head = space.takeMany("jobs", returns + 1);
    for (let i = 0; i <= returns; i++) if (head[i] !== i) throw new Error(`entry ${i} lost its place`);
    return (dt * 1e6) / returns;
  };
  const peerOnce = (depth) => {
    const n = Math.min(returns, peerReturns(depth));
    const space = new Space();
    for (let i = 0; i < depth; i++) space.out("jobs", i);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) drainAndRefill(space, "jobs", -i);
    return { n, ns: ((performance.now() - t0) * 1e6) / n };
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // Rounds alternate the depths, so load on this shared machine hits both alike; round 0 warms
  // up (wasm tiers up from its baseline compiler). The peer is slow: one round.
  const times = new Map();
  for (let round = 0; round <= rounds; round++) {
    for (const depth of depths) {
      for (const order of ["newest first", "oldest first"]) {
        const ns = lindyOnce(depth, order);
        if (round > 0) times.set(`${depth}|${order}`, [...(times.get(`${depth}|${order}`) ?? []), ns]);
      }
    }
  }
  const rows = [];
  for (const depth of depths) {
    for (const order of ["newest first", "oldest first"]) {
      rows.push({
        label: `lindy hub (engine nack, ${order}): ${returns.toLocaleString("en-US")} returns, ${depth.toLocaleString("en-US")} queued`,
        nsPerReturn: median(times.get(`${depth}|${order}`)),
      });
    }
    const peer = peerOnce(depth);
    rows.push({
      label: `drain-and-refill put-back (before): ${peer.n.toLocaleString("en-US")} returns, ${depth.toLocaleString("en-US")} queued`,
      nsPerReturn: peer.ns,
    });
  }
  return rows;
}
