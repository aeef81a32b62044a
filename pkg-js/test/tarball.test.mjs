// The npm tarball (`npm pack --dry-run` in `pack/`, the minified copy `make pkg` assembles with
// scripts/pack.mjs): exactly the files the package needs — its entries, the built wasm and glue,
// src/, the types, README and licenses — every file an entry or an import reaches is in it, and
// the minified entries export and do what the source does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const packRoot = fileURLToPath(new URL("../pack/", import.meta.url));

function packed() {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packRoot, encoding: "utf8" });
  return JSON.parse(out)[0].files.map((f) => f.path).sort();
}

async function walk(dir) {
  const out = [];
  for (const entry of await readdir(new URL(dir, `file://${root}`), { withFileTypes: true })) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walk(`${path}/`)));
    else out.push(path);
  }
  return out;
}

const files = packed();

test("the tarball holds exactly what the package needs", async () => {
  const src = (await walk("src/")).filter((f) => /\.(d\.ts|js)$/.test(f));
  // wasm-bindgen's inline JS snippets, if the wasm imports any.
  const snippets = await walk("dist/snippets/").catch(() => []);
  const expected = [
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "browser.js",
    "channels.d.ts",
    "channels.js",
    "channels.node.js",
    "dist/channels.js",
    "dist/channels_bg.wasm",
    "dist/lindy.js",
    "dist/lindy_bg.wasm",
    "dist/ring.js",
    "dist/ring_bg.wasm",
    "dist/store.js",
    "dist/store_bg.wasm",
    "exports.js",
    "index.d.ts",
    "index.js",
    "node.js",
    "package.json",
    "ring.d.ts",
    "ring.js",
    "ring.node.js",
    "store.d.ts",
    "store.js",
    "store.node.js",
    ...src,
    ...snippets,
  ].sort();
  assert.deepEqual(files, expected);
});

test("package.json names its license, repository and README; the licenses are the repository's", async () => {
  const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8"));
  assert.equal(pkg.license, "MIT OR Apache-2.0");
  assert.match(pkg.repository?.url ?? "", /^git\+https:\/\//);
  assert.equal(pkg.repository.directory, "pkg-js");
  for (const license of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.equal(await readFile(`${root}${license}`, "utf8"), await readFile(`${root}../${license}`, "utf8"), license);
  }
  assert.match(await readFile(`${root}README.md`, "utf8"), /^# lindy\n/);
});

test("every export target and every relative import is in the tarball", async () => {
  const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8"));
  const have = new Set(files);
  const targets = [];
  const collect = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(collect));
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath.includes("*")) continue; // checked through the imports below
    collect(target);
  }
  for (const t of targets) assert.ok(have.has(posix.normalize(t)), `exports → ${t} is packed`);
  for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
    const text = await readFile(`${packRoot}${file}`, "utf8");
    // `[;}]`: minified code has its imports and exports on one line (`…;export{a}from"./x.js"`).
    for (const [, spec] of text.matchAll(/(?:^|[\n;}])\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.[^"']+)["']/g)) {
      let target = posix.normalize(posix.join(posix.dirname(file), spec));
      if (file.endsWith(".d.ts")) target = target.replace(/\.js$/, ".d.ts");
      assert.ok(have.has(target), `${file} imports ${spec}: ${target} is packed`);
    }
  }
});

test("the packed package.json is the repository's", async () => {
  assert.equal(await readFile(`${packRoot}package.json`, "utf8"), await readFile(`${root}package.json`, "utf8"));
});

test("the minified entries export what the source exports, and work", async () => {
  for (const entry of ["node.js", "ring.node.js", "channels.node.js", "store.node.js", "src/workers.js", "src/fanout/index.js"]) {
    const source = await import(`${root}${entry}`);
    const minified = await import(`${packRoot}${entry}`);
    assert.deepEqual(Object.keys(minified).sort(), Object.keys(source).sort(), entry);
    for (const name of Object.keys(source)) {
      if (typeof source[name] === "function") assert.equal(minified[name].name, source[name].name, `${entry}: ${name}.name`);
    }
  }
  const { Space, LindyError, Pattern } = await import(`${packRoot}node.js`);
  const errors = await import(`${packRoot}src/errors.js`);
  assert.equal(LindyError, errors.LindyError, "one LindyError class");
  const space = new Space();
  const taken = space.take("job");
  space.out("job", { id: 1 });
  assert.deepEqual(await taken, { id: 1 });
  assert.throws(() => Pattern.parse("public:**.x"), (e) => e instanceof LindyError && e.code === "PATTERN_INVALID");
  await assert.rejects(space.take("job", { timeout: 10 }), (e) => e instanceof LindyError && e.code === "INVALID_CONFIG");
});
