// `make js-bench`: the package's benchmarks in Node and in headless Chromium, printed as Markdown
// tables with ratios (paste them into docs/sections/js.md).
import { startBrowser } from "../test/support/browser.mjs";
import { idbBench } from "./idb.mjs";

const only = process.argv[2];

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

const chrome = await startBrowser();
try {
  const version = chrome.browser.version();
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
