// The package's shape: each entry's browser and Node files export the same API, the types are
// real (tsc), and each entry loads only its own wasm. (Sizes against their budgets: `make pkg`.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);

// subpath → [Node file, browser file, its .d.ts, its wasm]
const ENTRIES = {
  ".": ["node.js", "index.js", "index.d.ts", "dist/lindy_bg.wasm"],
  "./ring": ["ring.node.js", "ring.js", "ring.d.ts", "dist/ring_bg.wasm"],
  "./channels": ["channels.node.js", "channels.js", "channels.d.ts", "dist/channels_bg.wasm"],
  "./store": ["store.node.js", "store.js", "store.d.ts", "dist/store_bg.wasm"],
};

test("package.json routes node, browsers and types, for every entry", async () => {
  const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
  assert.equal(pkg.type, "module");
  for (const [subpath, [node, browser, types]] of Object.entries(ENTRIES)) {
    assert.deepEqual(pkg.exports[subpath], { types: `./${types}`, node: `./${node}`, default: `./${browser}` });
  }
  for (const file of pkg.files.filter((f) => !f.endsWith("/"))) {
    await readFile(new URL(file, root)); // every listed file exists after `make pkg`
  }
});

test("every entry exports the same API in Node and browsers, and its types declare it", async () => {
  const keys = async (entry) => Object.keys(await import(new URL(entry, root))).sort();
  for (const [subpath, [nodeFile, browserFile, types]] of Object.entries(ENTRIES)) {
    const node = await keys(nodeFile);
    assert.deepEqual(await keys(browserFile), node, `${subpath}: browsers and bundlers get what Node gets`);
    if (subpath === ".") assert.deepEqual(await keys("browser.js"), node, "lindy/auto too");
    const typed = [...(await readFile(new URL(types, root), "utf8")).matchAll(
      /^export (?:declare )?(?:abstract )?(?:class|function|const) (\w+)|^export \{([^}]*)\} from/gm,
    )]
      .flatMap((m) => (m[1] ? [m[1]] : m[2].split(",").map((s) => s.trim()).filter(Boolean)))
      .sort();
    assert.deepEqual(typed, node, `${types} declares every runtime export of ${subpath}`);
  }
});

test("each entry's module graph loads its own wasm glue and no other entry's", async () => {
  const IMPORT = /(?:^|[\s;])(?:import|export)\s*(?:[^"';]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+)["']/gm;
  const graph = async (file, seen = new Set()) => {
    const url = new URL(file, root).href;
    if (seen.has(url)) return seen;
    seen.add(url);
    const text = await readFile(new URL(url), "utf8");
    for (const m of text.matchAll(IMPORT)) await graph(new URL(m[1], url).href, seen);
    return seen;
  };
  const glue = { ".": "dist/lindy.js", "./ring": "dist/ring.js", "./channels": "dist/channels.js", "./store": "dist/store.js" };
  for (const [subpath, [node, browser]] of Object.entries(ENTRIES)) {
    for (const file of [node, browser]) {
      const loaded = [...(await graph(file))].map((u) => u.slice(root.href.length)).filter((f) => f.startsWith("dist/") && !f.startsWith("dist/snippets/"));
      assert.deepEqual(loaded, [glue[subpath]], `${file} loads only ${glue[subpath]}`);
    }
  }
});

test("the types check: real signatures, wrong calls rejected (tsc --noEmit)", () => {
  const tsc = fileURLToPath(new URL("node_modules/typescript/bin/tsc", root));
  try {
    execFileSync(process.execPath, [tsc, "-p", fileURLToPath(new URL("test/types/tsconfig.json", root))], {
      encoding: "utf8",
    });
  } catch (e) {
    assert.fail(`tsc found type errors:\n${e.stdout}${e.stderr}`);
  }
});
