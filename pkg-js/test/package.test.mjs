// The package's shape: both entries export the same API, the types are real (tsc), and the wasm
// stays inside its size budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
// The budget, and a regression guard: the build must not grow past GUARD; whether it is
// within BUDGET is printed (and reported in docs/sections/js.md).
const BUDGET = 60 * 1024;
const GUARD = 140 * 1024;

test("package.json routes node, browsers and types", async () => {
  const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
  assert.equal(pkg.type, "module");
  const entry = pkg.exports["."];
  assert.deepEqual(Object.keys(entry), ["types", "node", "default"]);
  for (const file of [...Object.values(entry), ...pkg.files.filter((f) => !f.endsWith("/"))]) {
    await readFile(new URL(file, root)); // every listed file exists after `make pkg`
  }
});

test("every entry exports the same API, and the types declare it", async () => {
  const keys = async (entry) => Object.keys(await import(new URL(entry, root))).sort();
  const node = await keys("node.js");
  assert.deepEqual(await keys("index.js"), node, "browsers and bundlers get what Node gets");
  assert.deepEqual(await keys("browser.js"), node, "lindy/auto too");
  const typed = [...(await readFile(new URL("index.d.ts", root), "utf8")).matchAll(
    /^export (?:declare )?(?:abstract )?(?:class|function|const) (\w+)|^export \{([^}]*)\} from/gm,
  )]
    .flatMap((m) => (m[1] ? [m[1]] : m[2].split(",").map((s) => s.trim()).filter(Boolean)))
    .sort();
  assert.deepEqual(typed, node, "index.d.ts declares every runtime export");
});

test(`the wasm stays under the ${GUARD}-byte size guard (budget ${BUDGET})`, async () => {
  const wasm = await readFile(new URL("dist/lindy_bg.wasm", root));
  const gz = gzipSync(wasm, { level: 9 }).length;
  const verdict = gz <= BUDGET ? "within" : `OVER by ${gz - BUDGET} bytes:`;
  console.log(`lindy_bg.wasm: ${wasm.length} bytes, ${gz} gzipped; ${verdict} the ${BUDGET}-byte budget`);
  assert.ok(gz <= GUARD, `${gz} bytes gzipped is over the ${GUARD}-byte guard`);
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
