// `make pkg`, after `wasm-opt -Oz`: renames the wasm module's imports, exports and its import
// module to one- or two-letter names, and the generated glue's uses of them to match. The names
// wasm-bindgen gives are long and carry a 16-hex-digit hash each (`__wbg_set_name_822e3903f3184979`,
// `spacecore_takeMatching`), and each is written twice — in the wasm and in the glue — so they are
// about 1.5 KB of what `import "lindy"` loads gzipped (docs/js-packaging.md). Nothing outside the
// glue sees them: the package's classes are the glue's JS exports, which keep their names.
//
// wasm-opt's `--minify-imports-and-exports-and-modules` does the renaming and prints the mapping
// (JSON); this script applies it to the glue — the object keys of `__wbg_get_imports` and every
// `wasm.<export>` — and fails, leaving nothing half-renamed, when the glue does not have exactly
// the shape that rewriting assumes (one import module; every import a key; every `wasm.` use an
// export; the glue keeps `instance.exports` in `wasm` and reaches exports only as `wasm.<name>`).
//
// usage: node scripts/minify-names.mjs WASM GLUE (both rewritten in place)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const [wasmFile, glueFile] = process.argv.slice(2);
if (!wasmFile || !glueFile) throw new Error("usage: node scripts/minify-names.mjs WASM GLUE");

const fail = (message) => {
  console.error(`minify-names: ${glueFile}: ${message}`);
  process.exit(1);
};

const original = new WebAssembly.Module(readFileSync(wasmFile));
const modules = new Set(WebAssembly.Module.imports(original).map((i) => i.module));
if (modules.size !== 1) fail(`expected one import module, found ${[...modules].join(", ")}`);
const [moduleName] = modules;

// The same feature flags as the Makefile's WASM_OPT_FLAGS: wasm-opt must accept the module as is.
const wasmOpt = createRequire(import.meta.url).resolve("binaryen/bin/wasm-opt");
const FEATURES = ["reference-types", "bulk-memory", "nontrapping-float-to-int", "sign-ext", "mutable-globals", "multivalue"];
const tmp = `${wasmFile}.min`;
const mapping = JSON.parse(
  execFileSync(
    process.execPath,
    [wasmOpt, "--minify-imports-and-exports-and-modules", ...FEATURES.map((f) => `--enable-${f}`), wasmFile, "-o", tmp],
    { encoding: "utf8" },
  ),
);
const renamed = new WebAssembly.Module(readFileSync(tmp));
const newModules = new Set(WebAssembly.Module.imports(renamed).map((i) => i.module));
if (newModules.size !== 1) fail(`wasm-opt left ${newModules.size} import modules`);
const [newModule] = newModules;

let glue = readFileSync(glueFile, "utf8");
const count = (re) => (glue.match(re) ?? []).length;
const escape = (s) => s.replace(/[$]/g, "\\$");

// Imports: each is one key of the glue's import object (`name: function (…) {…}` or `name: value`).
for (const [, from, to] of mapping.imports) {
  const key = new RegExp(`(?<=[{,\\s])${escape(from)}(?=\\s*:)`, "g");
  if (count(key) !== 1) fail(`import ${from} is a key of the import object ${count(key)} times, not once`);
  if (count(new RegExp(`\\b${escape(from)}\\b`, "g")) !== 1) fail(`import ${from} is used outside the import object`);
  glue = glue.replace(key, to);
}
// The import object's module key.
const moduleKey = new RegExp(`(["'])${moduleName.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\1(?=\\s*:)`, "g");
if (count(moduleKey) !== 1) fail(`the import module "${moduleName}" is a key ${count(moduleKey)} times, not once`);
glue = glue.replace(moduleKey, JSON.stringify(newModule));

// Exports: every `wasm.<name>` (the glue keeps `instance.exports` in `wasm`).
const exports = new Map(mapping.exports);
glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (use, name) => {
  if (!exports.has(name)) fail(`\`${use}\` is not an export of the module`);
  return `wasm.${exports.get(name)}`;
});

writeFileSync(glueFile, glue);
writeFileSync(wasmFile, readFileSync(tmp));
execFileSync("rm", ["-f", tmp]);
