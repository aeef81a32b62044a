// The fan-out hub's put-back of returned leases: ns per return with 100 and with 100 000 entries
// queued under the key. The hub returns a lease through the space's engine (`nack`: O(1), the
// entry keeps its age); the peer row is what the hub did before — drain the key and refill it
// behind the returned entry, O(entries) and a fresh age for every entry. The same function runs
// in Node and in the page (it imports the package itself).
export async function putbackBench({ returns, depths, fanoutUrl, peerReturns }) {
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

  // Round 0 warms the engines up (wasm tiers up from its baseline compiler); round 1 is measured.
  let rows = [];
  for (let round = 0; round < 2; round++) {
  rows = [];
  for (const depth of depths) {
    // Through the hub's lease bookkeeping and the engine, returned newest first (what a
    // disconnect does) and oldest first (a worse order: each returned entry goes behind the
    // older ones already returned, see docs/js-internals.md).
    for (const order of ["newest first", "oldest first"]) {
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
      rows.push({
        label: `lindy hub (engine nack, ${order}): ${returns.toLocaleString("en-US")} returns, ${depth.toLocaleString("en-US")} queued`,
        nsPerReturn: (dt * 1e6) / returns,
      });
    }
    // The peer: drain and refill (fewer returns at depth: it is O(entries) each).
    {
      const n = Math.min(returns, peerReturns(depth));
      const space = new Space();
      for (let i = 0; i < depth; i++) space.out("jobs", i);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) drainAndRefill(space, "jobs", -i);
      const dt = performance.now() - t0;
      rows.push({ label: `drain-and-refill put-back (before): ${n.toLocaleString("en-US")} returns, ${depth.toLocaleString("en-US")} queued`, nsPerReturn: (dt * 1e6) / n });
    }
  }
  }
  return rows;
}
