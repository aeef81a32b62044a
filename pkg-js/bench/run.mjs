// `make js-bench`: the package's benchmarks in Node and in headless Chromium, printed as Markdown
// tables with ratios (paste them into docs/benchmarks/js.md).
import { readFile } from "node:fs/promises";
import { startBrowser } from "../test/support/browser.mjs";
import { idbBench } from "./idb.mjs";
import { putbackBench } from "./putback.mjs";
import { spaceBench } from "./space.mjs";

const only = process.argv[2];

// One row per case: lindy's Space, the same Space with its push buffer off (every call crosses
// into the engine), the pure-JS peer, and the ratios against the peer of the same run.
function pairTable(title, rows) {
  const n = (x) => Math.round(x).toLocaleString("en-US");
  console.log(`\n### ${title}\n`);
  console.log("| case | lindy pairs/s | buffer off pairs/s | pure JS pairs/s | lindy ÷ pure JS | buffer off ÷ pure JS |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.label} | ${n(r.lindy)} | ${n(r.engine)} | ${n(r.js)} | ${(r.lindy / r.js).toFixed(2)}× | ${(r.engine / r.js).toFixed(2)}× |`);
  }
}

function table(title, unit, rows, baselineLabel) {
  const base = rows.find((r) => r.label === baselineLabel) ?? rows[0];
  console.log(`\n### ${title}\n`);
  console.log(`| case | ${unit} | vs ${base.label} |`);
  console.log("|---|---:|---:|");
  for (const r of rows) {
    const ratio = r.opsPerSec / base.opsPerSec;
    console.log(`| ${r.label} | ${Math.round(r.opsPerSec).toLocaleString("en-US")} | ${ratio.toFixed(2)}× |`);
  }
}

const SPACE = { n: 200_000, rounds: 9, batch: 1000 };
const hasSpace = "Space" in (await import("lindy"));
if (!hasSpace) console.log("(this build has no Space: skipping the Space bench)");
if (hasSpace && (!only || only === "space")) {
  const rows = await spaceBench(SPACE);
  pairTable(`Space push + take, ${SPACE.n} pairs (Node ${process.version}, median of ${SPACE.rounds})`, rows);
}

const PUTBACK = { returns: 10_000, depths: [100, 100_000], rounds: 7 };
function putbackTable(where, rows) {
  console.log(`\n### Hub put-back of returned leases (${where}, median of ${PUTBACK.rounds})\n`);
  console.log("| case | ns per return |");
  console.log("|---|---:|");
  for (const r of rows) console.log(`| ${r.label} | ${Math.round(r.nsPerReturn).toLocaleString("en-US")} |`);
  const [newest100, oldest100, , newestBig, oldestBig] = rows;
  console.log(
    `\nlindy at 100 000 queued ÷ at 100 queued: ${(newestBig.nsPerReturn / newest100.nsPerReturn).toFixed(2)}× newest first, ` +
      `${(oldestBig.nsPerReturn / oldest100.nsPerReturn).toFixed(2)}× oldest first (independent of the queue's depth: must stay within 2×)`,
  );
}
if (!only || only === "putback") {
  const rows = await putbackBench({ ...PUTBACK, fanoutUrl: "lindy/fanout", peerReturns: (d) => (d > 1000 ? 20 : 10_000) });
  putbackTable(`Node ${process.version}`, rows);
}

const chrome = await startBrowser();
try {
  const version = chrome.browser.version();
  if (hasSpace && (!only || only === "space")) {
    const page = await chrome.newPage();
    const rows = await page.evaluate(spaceBench, SPACE);
    pairTable(`Space push + take, ${SPACE.n} pairs (headless Chromium ${version}, median of ${SPACE.rounds})`, rows);
  }
  if (!only || only === "putback") {
    const page = await chrome.newPage();
    const rows = await page.evaluate(
      async ({ src, args }) => {
        const mod = await import(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
        return mod.putbackBench({ ...args, peerReturns: (d) => (d > 1000 ? 20 : 10_000) });
      },
      { src: await readFile(new URL("./putback.mjs", import.meta.url), "utf8"), args: { ...PUTBACK, fanoutUrl: `${chrome.origin}/src/fanout/index.js` } },
    );
    putbackTable(`headless Chromium ${version}`, rows);
  }
  if (!only || only === "idb") {
    const page = await chrome.newPage();
    const n = 1000;
    const rows = await page.evaluate(idbBench, { n, rounds: 5 });
    table(
      `IndexedDB queue, ${n} pushes then ${n} pulls of 128 B (headless Chromium ${version}, median of 5)`,
      "ops/s",
      rows,
      "idb-keyval set/del (a transaction per call)",
    );
  }
} finally {
  await chrome.close();
}
