// `make pkg`'s size table: for every package entry, what a browser loads when a page imports it —
// the entry's JS module graph (followed through its static relative imports, as a bundler or the
// browser does) plus the wasm it instantiates — raw and gzipped (-9, like a CDN), against the
// entry's budget. Exits 1 when any entry is over its budget.
//
// usage: node scripts/sizes.mjs [--root=DIR] ENTRY=FILE:WASM:BUDGET_BYTES[:TARGET_BYTES] ...
//   e.g. --root=pack lindy=index.js:dist/lindy_bg.wasm:102400:61440
// FILE and WASM are relative to DIR (default: pkg-js/). `make pkg` measures `pack/`, the minified
// package as npm ships it (scripts/pack.mjs).
// The budget is the ceiling the gate holds (a regression fails `make pkg`); the target, when
// given, is where the entry should get to and is printed next to it (issue 14: 60 KB for `lindy`).
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const rootArg = args[0]?.startsWith("--root=") ? args.shift().slice("--root=".length) : undefined;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", rootArg ?? ".");
// Minified code too (esbuild prints `import{a as b}from"./x.js"`: no space around `from`).
const IMPORT = /(?:^|[\s;})])(?:import|export)\s*(?:[^"';]*?[\s}*]from\s*)?["'](\.{1,2}\/[^"']+)["']/gm;

/** Every file in the static import graph of `entry` (relative specifiers only; no bare ones). */
function moduleGraph(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) visit(resolve(dirname(file), m[1]));
  };
  visit(resolve(ROOT, entry));
  return [...seen];
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1).padStart(6);

const rows = args.map((arg) => {
  const [name, spec] = arg.split("=");
  const [entry, wasm, budget, target] = spec.split(":");
  const files = moduleGraph(entry);
  const js = Buffer.concat(files.map((f) => readFileSync(f)));
  const bin = readFileSync(join(ROOT, wasm));
  return {
    name,
    files: files.map((f) => relative(ROOT, f)),
    jsRaw: js.length,
    jsGz: gz(js),
    wasmRaw: bin.length,
    wasmGz: gz(bin),
    budget: Number(budget),
    target: target === undefined ? undefined : Number(target),
  };
});

const header = "entry            JS raw  JS gz  wasm raw  wasm gz |  total raw  total gz   budget";
console.log(header);
console.log("-".repeat(header.length + 6));
let over = 0;
for (const r of rows) {
  const total = r.jsGz + r.wasmGz;
  const ok = total <= r.budget;
  if (!ok) over++;
  console.log(
    `${r.name.padEnd(14)} ${String(r.jsRaw).padStart(8)} ${String(r.jsGz).padStart(6)} ${String(r.wasmRaw).padStart(9)} ${String(r.wasmGz).padStart(8)} | ${String(r.jsRaw + r.wasmRaw).padStart(10)} ${String(total).padStart(9)} ${String(r.budget).padStart(8)}  ${ok ? "ok" : "OVER"} (${kb(total).trim()} KB of ${kb(r.budget).trim()} KB gzipped${r.target === undefined ? "" : `; target ${kb(r.target).trim()} KB: ${total <= r.target ? "met" : `${kb(total - r.target).trim()} KB to go`}`})`,
  );
}
if (process.env.SIZES_VERBOSE) for (const r of rows) console.log(`${r.name}: ${r.files.join(" ")}`);
if (over) {
  console.error(`make pkg: ${over} entr${over === 1 ? "y is" : "ies are"} over the gzipped budget`);
  process.exit(1);
}
