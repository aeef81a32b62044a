// Space: push + take pairs through the package vs a pure-JS Map<string, Array> queue doing the same
// work. The same function runs in Node and in the page (it imports "lindy" itself).
//
// Three sides per case, rounds interleaved: lindy's Space as users get it; the same Space with
// its JS push buffer off (a per-key bound turns it off, so every call crosses into the engine —
// what every call cost before the buffer); and the pure-JS peer.
export async function spaceBench({ n, rounds, batch }) {
  const { Space } = await import("lindy");

  // The pure-JS peer: what a JS developer writes for a keyed FIFO with waiting takers.
  class JsSpace {
    constructor() {
      this.queues = new Map();
      this.waiters = new Map();
    }
    push(key, value) {
      const w = this.waiters.get(key);
      if (w && w.length > 0) return w.shift()(value);
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = []));
      q.push(value);
    }
    tryTake(key) {
      const q = this.queues.get(key);
      if (!q || q.length === 0) return undefined;
      const v = q.shift();
      if (q.length === 0) this.queues.delete(key);
      return v;
    }
    take(key) {
      const v = this.tryTake(key);
      if (v !== undefined) return Promise.resolve(v);
      return new Promise((resolve) => {
        let w = this.waiters.get(key);
        if (!w) this.waiters.set(key, (w = []));
        w.push(resolve);
      });
    }
    pushMany(key, values) {
      for (const v of values) this.push(key, v);
    }
    key(key) {
      return { push: (v) => this.push(key, v), tryTake: () => this.tryTake(key), take: () => this.take(key) };
    }
    takeMany(key, max) {
      const out = [];
      while (out.length < max) {
        const v = this.tryTake(key);
        if (v === undefined) break;
        out.push(v);
      }
      return out;
    }
  }

  const payload = { job: "resize", size: 128 };
  const cases = {
    "push + tryTake": (s) => {
      let got = 0;
      for (let i = 0; i < n; i++) {
        s.push("jobs", payload);
        if (s.tryTake("jobs") !== undefined) got++;
      }
      return got;
    },
    "push + tryTake on a key handle (space.key)": (s) => {
      const jobs = s.key("jobs");
      let got = 0;
      for (let i = 0; i < n; i++) {
        jobs.push(payload);
        if (jobs.tryTake() !== undefined) got++;
      }
      return got;
    },
    // The buffer's worst case: every push switches keys, so each one is handed to the engine.
    "push + tryTake, two keys alternating": (s) => {
      let got = 0;
      for (let i = 0; i < n; i += 2) {
        s.push("a", payload);
        s.push("b", payload);
        if (s.tryTake("a") !== undefined) got++;
        if (s.tryTake("b") !== undefined) got++;
      }
      return got;
    },
    "push + await take": async (s) => {
      let got = 0;
      for (let i = 0; i < n; i++) {
        s.push("jobs", payload);
        if ((await s.take("jobs")) !== undefined) got++;
      }
      return got;
    },
    "take waiting, then push (wake-up path)": async (s) => {
      let got = 0;
      for (let i = 0; i < n; i++) {
        const p = s.take("jobs");
        s.push("jobs", payload);
        if ((await p) !== undefined) got++;
      }
      return got;
    },
    [`pushMany + takeMany (batches of ${batch})`]: (s) => {
      const values = new Array(batch).fill(payload);
      let got = 0;
      for (let i = 0; i < n / batch; i++) {
        s.pushMany("jobs", values);
        got += s.takeMany("jobs", batch).length;
      }
      return got;
    },
  };

  // Rounds alternate between lindy and the peer (lindy, peer, lindy, peer, ...), so a burst of
  // load on this shared machine hits both sides alike; each side's median is compared.
  const timeOne = async (make, run) => {
    const s = make();
    const t0 = performance.now();
    const got = await run(s);
    const t1 = performance.now();
    if (got !== n) throw new Error(`expected ${n} pairs, got ${got}`);
    return t1 - t0;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // A per-key bound far above anything reached turns the push buffer off (src/space.js).
  const unbuffered = () => new Space({ maxKeyEntries: 4_294_967_295 });
  const rows = [];
  for (const [label, run] of Object.entries(cases)) {
    const lindyTimes = [];
    const engineTimes = [];
    const jsTimes = [];
    for (let r = 0; r < rounds + 1; r++) {
      const l = await timeOne(() => new Space(), run);
      const e = await timeOne(unbuffered, run);
      const j = await timeOne(() => new JsSpace(), run);
      if (r > 0) {
        // round 0 warms up
        lindyTimes.push(l);
        engineTimes.push(e);
        jsTimes.push(j);
      }
    }
    const perSec = (ms) => n / (ms / 1000);
    rows.push({
      label,
      lindy: perSec(median(lindyTimes)),
      engine: perSec(median(engineTimes)),
      js: perSec(median(jsTimes)),
    });
  }
  return rows;
}
