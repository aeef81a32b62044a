// Headless Chromium for the package's browser tests and benches: a static server for pkg-js/ on
// 127.0.0.1 and Debian's /usr/bin/chromium driven by playwright-core (never a downloaded browser).
// Pages get an import map, so code in the page imports the package as users do: `from "lindy"`.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TYPES = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
  ".json": "application/json",
};
const PAGE = `<!doctype html><meta charset="utf-8"><title>lindy test</title>
<script type="importmap">{"imports":{"lindy":"/browser.js","lindy/ring":"/ring.js","lindy/channels":"/channels.js","lindy/store":"/store.js","idb-keyval":"/node_modules/idb-keyval/dist/index.js"}}</script>`;

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** Starts the server and the browser; `close()` stops both. */
export async function startBrowser() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      return;
    }
    const file = normalize(join(ROOT, path));
    if (!file.startsWith(ROOT)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    origin,
    browser,
    /** A fresh page (own context, so its own IndexedDB) with the package's import map loaded. */
    async newPage() {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e));
      await page.goto(`${origin}/`);
      page.errors = errors;
      return page;
    },
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
