// The job board: one lindy Space on the page, served to N web workers through the fan-out hub.
// Jobs are taken with leases; a worker killed from the page gives its leased jobs back (they go to
// the head of the queue) and the others finish them. Every number on the page comes from the
// hub's events, so "done exactly once" is checked, not assumed.
import { Space } from "lindy";
import { IdbStore } from "lindy/store";
import { serve } from "lindy/fanout";
import { openSharedQueue } from "lindy/fanout/leader";
import { ThroughputChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const JOBS_KEY = "jobs";
const DURABLE_DB = "lindy-demo";
const DURABLE_KEY = "durable.jobs";
const LANES_PER_WORKER = 3;

// ---------------------------------------------------------------------------------------------
// Run state

const state = {
  run: 0,
  space: null,
  total: 0,
  done: 0,
  returned: 0,
  duplicates: 0,
  finished: false,
  completions: new Map(), // job id -> how many acks (must end at exactly 1 each)
  workers: [],
};

const chart = new ThroughputChart($("chart"));
const history = []; // { t, done } for the rate

function startRun({ workers, jobs, workMs, leaseMs }) {
  stopRun();
  state.run++;
  state.space = new Space();
  state.total = jobs;
  state.done = 0;
  state.returned = 0;
  state.duplicates = 0;
  state.finished = false;
  state.completions = new Map();
  state.workers = [];
  history.length = 0;
  chart.clear(performance.now());
  chart.mark(performance.now(), `run ${state.run}`);

  for (let id = 1; id <= jobs; id++) state.space.out(JOBS_KEY, { id });
  for (let n = 1; n <= workers; n++) state.workers.push(spawn(n, { workMs, leaseMs }));
  log(`Run ${state.run}: ${jobs.toLocaleString()} jobs, ${workers} workers, ${workMs} ms of work each.`);
  document.body.dataset.run = String(state.run);
  delete document.body.dataset.finished;
  render();
}

function spawn(n, { workMs, leaseMs }) {
  const w = { n, name: `worker-${n}`, state: "running", leased: 0, done: 0, returned: 0, worker: null, conn: null };
  const { port1, port2 } = new MessageChannel();
  const run = state.run;
  w.conn = serve(state.space, port1, {
    defaultLeaseMs: leaseMs,
    heartbeatTimeoutMs: 3000,
    onEvent: (e) => run === state.run && onHubEvent(w, e),
  });
  w.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: w.name });
  w.worker.postMessage({ port: port2, name: w.name, workMs, leaseMs, lanes: LANES_PER_WORKER }, [port2]);
  return w;
}

function onHubEvent(w, e) {
  switch (e.type) {
    case "lease":
      w.leased++;
      break;
    case "ack": {
      w.leased--;
      w.done++;
      state.done++;
      const seen = (state.completions.get(e.value.id) ?? 0) + 1;
      state.completions.set(e.value.id, seen);
      if (seen > 1) state.duplicates++;
      if (state.done === state.total) finishRun();
      break;
    }
    case "return":
      if (e.leaseId !== null) {
        w.leased--;
        w.returned++;
        state.returned++;
        flash($("stat-returned"));
      }
      break;
    case "disconnect":
      w.goneReason = e.reason;
      if (w.state === "killed") {
        const why = { "lock-released": "its Web Lock was released", "port-closed": "its port closed", "heartbeat-lost": "its heartbeat stopped" }[e.reason] ?? e.reason;
        log(`${w.name} is gone (${why}): ${e.returned} leased job${e.returned === 1 ? "" : "s"} went back to the head of "${JOBS_KEY}".`, "warn");
      }
      break;
    default:
      break;
  }
}

function kill(n) {
  const w = state.workers.find((x) => x.n === n);
  if (!w || w.state !== "running") return;
  w.state = "killed";
  w.killedWithLeases = w.leased;
  w.worker.terminate();
  chart.mark(performance.now(), `${w.name} killed`);
  log(`Killed ${w.name} while it held ${w.leased} leased job${w.leased === 1 ? "" : "s"}.`, "warn");
  render();
}

function finishRun() {
  state.finished = true;
  const once = [...state.completions.values()].every((c) => c === 1) && state.completions.size === state.total;
  log(
    `Run ${state.run} complete: ${state.total.toLocaleString()} jobs, ${once ? "each done exactly once" : "NOT each exactly once"}` +
      ` (${state.returned} returned by leases and redone).`,
    once ? "ok" : "warn",
  );
  document.body.dataset.finished = String(state.run);
  // Let the workers go; the chart keeps the run on screen.
  queueMicrotask(() => {
    for (const w of state.workers) {
      if (w.state === "running") w.state = "finished";
      w.conn.close("run-finished");
      w.worker.terminate();
    }
    render();
  });
}

function stopRun() {
  for (const w of state.workers) {
    w.conn.close("run-stopped");
    w.worker.terminate();
  }
  state.space?.close();
}

// ---------------------------------------------------------------------------------------------
// Rendering

function render() {
  const now = performance.now();
  history.push({ t: now, done: state.done });
  while (history.length > 2 && history[0].t < now - 1000) history.shift();
  const first = history[0];
  const rate = now - first.t > 0 ? ((state.done - first.done) * 1000) / (now - first.t) : 0;

  const leased = state.workers.reduce((a, w) => a + w.leased, 0);
  $("stat-done").textContent = `${state.done.toLocaleString()} / ${state.total.toLocaleString()}`;
  $("stat-waiting").textContent = state.space ? state.space.len(JOBS_KEY).toLocaleString() : "0";
  $("stat-leased").textContent = String(leased);
  $("stat-returned").textContent = String(state.returned);
  $("stat-dupes").textContent = String(state.duplicates);
  $("stat-dupes").classList.toggle("bad", state.duplicates > 0);
  $("stat-rate").textContent = Math.round(rate).toLocaleString();
  $("progress-bar").style.width = state.total ? `${(100 * state.done) / state.total}%` : "0";
  if (!state.finished || rate > 0) chart.push(now, rate);
  chart.draw();
  renderWorkers();
}

function renderWorkers() {
  const body = $("worker-rows");
  if (state.workers.length === 0) return;
  const max = Math.max(1, ...state.workers.map((w) => w.done));
  if (body.dataset.run !== String(state.run)) {
    body.dataset.run = String(state.run);
    body.replaceChildren(
      ...state.workers.map((w) => {
        const tr = document.createElement("tr");
        tr.dataset.worker = String(w.n);
        tr.innerHTML = `<td>${w.name}</td><td class="state"></td><td class="num leased"></td><td class="num done"></td>
          <td><div class="bar"><div></div></div></td><td class="num"><button type="button" class="kill">Kill</button></td>`;
        tr.querySelector("button").addEventListener("click", () => kill(w.n));
        return tr;
      }),
    );
  }
  for (const w of state.workers) {
    const tr = body.querySelector(`tr[data-worker="${w.n}"]`);
    tr.className = w.state === "killed" ? "dead" : w.state === "finished" ? "idle" : "";
    tr.querySelector(".state").textContent =
      w.state === "killed" ? `killed · ${w.returned} returned` : w.state === "finished" ? "finished" : "running";
    tr.querySelector(".leased").textContent = String(w.leased);
    tr.querySelector(".done").textContent = w.done.toLocaleString();
    tr.querySelector(".bar div").style.width = `${(100 * w.done) / max}%`;
    tr.querySelector("button").disabled = w.state !== "running";
  }
}

function log(text, cls = "") {
  const li = document.createElement("li");
  if (cls) li.className = cls;
  const time = document.createElement("time");
  time.textContent = new Date().toLocaleTimeString([], { hour12: false });
  li.append(time, document.createTextNode(text));
  $("log").prepend(li);
}

function flash(el) {
  el.classList.add("flash");
  clearTimeout(el.flashTimer);
  el.flashTimer = setTimeout(() => el.classList.remove("flash"), 800);
}

setInterval(render, 250);

$("run-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const num = (id, lo, hi) => Math.min(hi, Math.max(lo, Math.round(Number($(id).value) || lo)));
  startRun({
    workers: num("workers", 1, 8),
    jobs: num("jobs", 1, 100_000),
    workMs: num("work-ms", 0, 200),
    leaseMs: num("lease-ms", 100, 60_000),
  });
});

// ---------------------------------------------------------------------------------------------
// The durable queue: IndexedDB, owned by one tab (Web Locks leader), shared by all.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const decode = (bytes) => JSON.parse(decoder.decode(bytes));

const queue = openSharedQueue(DURABLE_DB, {
  open: (name) => IdbStore.open(name),
  onRoleChange: (role) => {
    const el = $("role");
    el.textContent = role === "leader" ? "leader — owns the IndexedDB queue" : role === "follower" ? "follower — forwards to the leader tab" : role;
    el.className = `pill ${role === "leader" ? "ok" : ""}`;
    document.body.dataset.role = role;
    refreshDurable();
  },
});

async function refreshDurable() {
  try {
    const [len, head] = await Promise.all([queue.len(DURABLE_KEY), queue.peek(DURABLE_KEY)]);
    $("durable-len").textContent = String(len);
    $("durable-head").textContent = head ? decode(head).label : "–";
    document.body.dataset.durableLen = String(len);
  } catch (err) {
    $("durable-head").textContent = `error: ${err.code ?? err.message}`;
  }
}

function nextDurableNumber() {
  const n = Number(localStorage.getItem("lindy-demo.next") ?? "1");
  localStorage.setItem("lindy-demo.next", String(n + 1));
  return n;
}

function showPulled(values) {
  const list = $("durable-pulled");
  if (list.querySelector(".muted")) list.replaceChildren();
  for (const v of values) {
    const li = document.createElement("li");
    li.textContent = v.label;
    list.append(li);
  }
}

async function busy(button, fn) {
  button.disabled = true;
  try {
    await fn();
  } catch (err) {
    log(`durable queue: ${err.code ?? ""} ${err.message}`, "warn");
  } finally {
    button.disabled = false;
    await refreshDurable();
  }
}

$("durable-add").addEventListener("click", (e) =>
  busy(e.currentTarget, async () => {
    const jobs = Array.from({ length: 5 }, () => {
      const n = nextDurableNumber();
      return { n, label: `report-${String(n).padStart(3, "0")}` };
    });
    // Issued in one task: the leader group-commits them in one IndexedDB transaction.
    await Promise.all(jobs.map((j) => queue.push(DURABLE_KEY, encoder.encode(JSON.stringify(j)))));
    log(`Durable queue: added ${jobs.map((j) => j.label).join(", ")}.`);
  }),
);

$("durable-pull").addEventListener("click", (e) =>
  busy(e.currentTarget, async () => {
    const bytes = await queue.tryPull(DURABLE_KEY);
    if (bytes) showPulled([decode(bytes)]);
  }),
);

$("durable-drain").addEventListener("click", (e) =>
  busy(e.currentTarget, async () => {
    const pulled = [];
    for (let b = await queue.tryPull(DURABLE_KEY); b; b = await queue.tryPull(DURABLE_KEY)) pulled.push(decode(b));
    showPulled(pulled);
    log(`Durable queue: drained ${pulled.length} job${pulled.length === 1 ? "" : "s"}.`);
  }),
);

setInterval(refreshDurable, 1000);

// ---------------------------------------------------------------------------------------------

const status = $("status");
status.textContent = "wasm ready";
status.className = "pill ok";
render();
await refreshDurable();
document.body.dataset.ready = "1";

// For the end-to-end test and for poking at it from the console.
globalThis.lindyDemo = {
  state,
  queue,
  completions: () => Object.fromEntries(state.completions),
  perWorker: () =>
    state.workers.map(({ n, state: s, done, leased, returned, killedWithLeases, goneReason }) => ({
      n,
      state: s,
      done,
      leased,
      returned,
      killedWithLeases,
      goneReason,
    })),
};
