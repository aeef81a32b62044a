// A small live line chart on a canvas (no library): throughput samples plus labelled markers.
// The time axis grows with the run (from 10 s up to `maxWindowMs`), so a short run fills the
// chart instead of being a sliver at its right edge.
export class ThroughputChart {
  #canvas;
  #ctx;
  #samples = []; // { t, v }
  #marks = []; // { t, label }
  #maxWindowMs;
  #windowMs = 10_000;
  #start = 0;

  constructor(canvas, { maxWindowMs = 60_000 } = {}) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext("2d");
    this.#maxWindowMs = maxWindowMs;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  clear(start = performance.now()) {
    this.#samples = [];
    this.#marks = [];
    this.#start = start;
    this.#windowMs = 10_000;
    this.draw();
  }

  push(t, v) {
    this.#samples.push({ t, v });
    this.#windowMs = Math.min(this.#maxWindowMs, Math.max(10_000, Math.ceil((t - this.#start + 500) / 5000) * 5000));
    const cut = t - this.#maxWindowMs - 1000;
    while (this.#samples.length && this.#samples[0].t < cut) this.#samples.shift();
    this.#marks = this.#marks.filter((m) => m.t >= cut);
  }

  mark(t, label) {
    this.#marks.push({ t, label });
  }

  draw() {
    const canvas = this.#canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = this.#ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const pad = { l: 52, r: 12, t: 12, b: 24 };
    const pw = w - pad.l - pad.r;
    const ph = h - pad.t - pad.b;
    const now = this.#samples.at(-1)?.t ?? performance.now();
    const t0 = now - this.#windowMs;
    const max = niceCeil(Math.max(10, ...this.#samples.map((s) => s.v)));
    const x = (t) => pad.l + ((t - t0) / this.#windowMs) * pw;
    const y = (v) => pad.t + ph - (v / max) * ph;

    // Grid and y labels.
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#6b7385";
    ctx.strokeStyle = "#eceef2";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.l, yy);
      ctx.lineTo(w - pad.r, yy);
      ctx.stroke();
      ctx.fillText(formatRate(v), pad.l - 8, yy);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const span = this.#windowMs / 1000;
    const step = [1, 2, 5, 10, 15, 20, 30].find((st) => span / st <= 6) ?? 30;
    for (let s = 0; s <= span; s += step) {
      ctx.fillText(s === 0 ? "now" : `-${s}s`, x(now - s * 1000), h - pad.b + 7);
    }

    // Markers (a killed worker, a run start).
    ctx.textBaseline = "top";
    let lastX = -Infinity;
    let row = 0;
    for (const m of this.#marks) {
      if (m.t < t0) continue;
      const xx = Math.round(x(m.t)) + 0.5;
      // Labels of nearby markers stack instead of overlapping.
      row = xx - lastX < 110 ? row + 1 : 0;
      lastX = xx;
      ctx.strokeStyle = m.color ?? "#e8590c";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(xx, pad.t);
      ctx.lineTo(xx, pad.t + ph);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#e8590c";
      ctx.textAlign = xx > w - 90 ? "right" : "left";
      ctx.fillText(m.label, xx + (xx > w - 90 ? -5 : 5), pad.t + 2 + row * 14);
    }

    // The series: filled area under a line.
    const pts = this.#samples.filter((s) => s.t >= t0 - 1000);
    if (pts.length > 1) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(pad.l, pad.t, pw, ph);
      ctx.clip();
      ctx.beginPath();
      ctx.moveTo(x(pts[0].t), y(pts[0].v));
      for (const p of pts.slice(1)) ctx.lineTo(x(p.t), y(p.v));
      ctx.strokeStyle = "#3b5bdb";
      ctx.lineWidth = 2;
      ctx.lineJoin = "round";
      ctx.stroke();
      ctx.lineTo(x(pts.at(-1).t), y(0));
      ctx.lineTo(x(pts[0].t), y(0));
      ctx.closePath();
      const grad = ctx.createLinearGradient(0, pad.t, 0, pad.t + ph);
      grad.addColorStop(0, "rgba(59, 91, 219, 0.25)");
      grad.addColorStop(1, "rgba(59, 91, 219, 0.02)");
      ctx.fillStyle = grad;
      ctx.fill();
      ctx.restore();
    }
  }
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function formatRate(v) {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(Math.round(v));
}
