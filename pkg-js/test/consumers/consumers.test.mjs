// The packed tarball (`npm pack`, unpacked into ./node_modules/lindy by `make js-consumers`) in
// each place a JS developer puts it, built with the tools' defaults: Vite (page and module
// worker), webpack 5 (page and worker), esbuild (iife page and worker), a plain page with an
// import map and a module worker, Node ESM and Node CJS, and TypeScript projects without the DOM
// lib and without Node's types. Browsers are Debian's headless Chromium driven by playwright-core.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { EXPECTED } from "./smoke.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const LINDY = join(HERE, "node_modules", "lindy");
const TSC = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));
const run = promisify(execFile);

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".wasm": "application/wasm" };

/** A static server for one directory; `misses` records every 404 (a wasm the bundler did not emit). */
async function serveDir(root) {
  const misses = [];
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(root, path));
    try {
      if (!file.startsWith(root)) throw new Error("outside");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      misses.push(path);
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    misses,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let browser;
let out;
const servers = [];

before(async () => {
  await readFile(join(LINDY, "package.json")); // fails clearly when `make js-consumers` did not unpack it
  out = await mkdtemp(join(tmpdir(), "lindy-consumers-"));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  if (out) await rm(out, { recursive: true, force: true });
});

/** Opens `dir` served at its own origin (at `page`), waits for the page's report, returns it. */
async function openPage(dir, page = "/") {
  const server = await serveDir(dir);
  servers.push(server);
  return { ...(await openUrl(server.url + page)), misses: server.misses };
}

/** Opens `url` in a fresh context, waits for the page's report, returns it. */
async function openUrl(url) {
  const misses = [];
  const context = await browser.newContext();
  const tab = await context.newPage();
  const errors = [];
  tab.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  tab.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  tab.on("response", (r) => r.status() >= 400 && misses.push(`${r.status()} ${new URL(r.url()).pathname}`));
  await tab.goto(url);
  const result = await tab.waitForFunction(() => globalThis.__result, null, { timeout: 20_000 }).then(
    (h) => h.jsonValue(),
    (e) => ({ ok: false, error: `no result: ${e.message}` }),
  );
  await context.close();
  return { result, errors, misses };
}

function assertBoth({ result, errors, misses }) {
  assert.deepEqual(misses, [], "nothing the page asked for is missing");
  assert.ok(result.ok, `${result.error}\n${errors.join("\n")}`);
  assert.deepEqual(result.value, [EXPECTED, EXPECTED], "the page and its worker both ran lindy, and the worker reached the page's space");
}

describe("bundlers, with their defaults", () => {
  test("Vite: page and module worker (no vite.config)", async () => {
    const { build } = await import("vite");
    const outDir = join(out, "vite");
    await build({ root: join(HERE, "vite"), configFile: false, logLevel: "error", build: { outDir } });
    assertBoth(await openPage(outDir));
  });

  test("Vite dev server: page and module worker (no vite.config)", async () => {
    const { createServer } = await import("vite");
    const server = await createServer({
      root: join(HERE, "vite"),
      configFile: false,
      logLevel: "error",
      server: { host: "127.0.0.1", port: 0, hmr: false },
      // A fresh dependency cache each run: the unpacked tarball is not in any lock file, so Vite
      // would otherwise serve a pre-bundle of the previous build (test hygiene, not user config).
      cacheDir: join(out, "vite-cache"),
    });
    await server.listen();
    try {
      assertBoth(await openUrl(server.resolvedUrls.local[0]));
    } finally {
      await server.close();
    }
  });

  test("webpack 5: page and worker (entry and output only)", async () => {
    const { default: webpack } = await import("webpack");
    const outDir = join(out, "webpack");
    const stats = await promisify(webpack)({
      mode: "production",
      context: join(HERE, "webpack"),
      entry: "./app.js",
      output: { path: outDir },
    });
    assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
    await writeFile(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="main.js"></script>');
    assertBoth(await openPage(outDir));
  });

  test("esbuild: iife page and worker (the wasm copied next to the bundle)", async () => {
    const esbuild = await import("esbuild");
    const outDir = join(out, "esbuild");
    const result = await esbuild.build({
      entryPoints: [join(HERE, "esbuild/app.js"), join(HERE, "esbuild/worker.js")],
      bundle: true,
      outdir: outDir,
      logLevel: "silent",
    });
    assert.deepEqual(result.errors, []);
    // The one step esbuild needs: it does not emit assets referenced by `new URL(…, import.meta.url)`.
    for (const wasm of ["lindy_bg.wasm", "ring_bg.wasm", "channels_bg.wasm", "store_bg.wasm"]) {
      await copyFile(join(LINDY, "dist", wasm), join(outDir, wasm));
    }
    await writeFile(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="app.js"></script>');
    assertBoth(await openPage(outDir));
  });
});

describe("no bundler", () => {
  test("a page with an import map, and a module worker", async () => {
    assertBoth(await openPage(HERE, "/importmap/"));
  });

  test("Node ESM: import", async () => {
    const { stdout } = await run(process.execPath, [join(HERE, "node-esm/main.mjs")]);
    assert.equal(stdout.trim(), EXPECTED);
  });

  test("Node CJS: require", async () => {
    const { stdout, stderr } = await run(process.execPath, [join(HERE, "node-cjs/main.cjs")]);
    assert.equal(stdout.trim(), `${EXPECTED} function`);
    assert.equal(stderr, "", "no warning either");
  });
});

describe("the README", () => {
  // Every ```js block followed by "It prints `a`, `b`, …, and ends." is run as written (Node, the
  // installed tarball) and must print exactly that and exit by itself.
  test("its quick start runs to the end as written, printing what it says, for every entry", async () => {
    const readme = await readFile(join(LINDY, "README.md"), "utf8"); // the packed README
    const section = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1));
    const examples = [...section.matchAll(/```js\n([\s\S]*?)```\n\n(?:[^\n]+\n)*?It prints ([^\n]*(?:\n[^\n]+)*?), and ends\./g)];
    assert.ok(examples.length >= 2, "the quick start has runnable examples");
    const imported = new Set(examples.flatMap(([, code]) => [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1])));
    assert.deepEqual([...imported].sort(), ["lindy", "lindy/channels", "lindy/store"], "every entry is in the quick start");
    for (const [, code, promised] of examples) {
      const child = execFile(process.execPath, ["--input-type=module"], { cwd: HERE, timeout: 10_000 });
      child.stdin.end(code);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const exit = await new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
      assert.equal(exit, 0, `it ends by itself, exit code 0\n${stderr}`);
      const lines = [...promised.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      assert.deepEqual(stdout.trim().split("\n"), lines);
    }
  });
});

describe("TypeScript", () => {
  for (const project of ["ts-node", "ts-dom"]) {
    test(`the types compile in ${project === "ts-node" ? "a Node project without the DOM lib" : "a browser project without Node's types"}`, async () => {
      try {
        await run(process.execPath, [TSC, "-p", join(HERE, project)]);
      } catch (e) {
        assert.fail(`tsc found type errors:\n${e.stdout}${e.stderr}`);
      }
    });
  }
});
