// `make pkg`'s last step: assembles the package as npm publishes it in `pkg-js/pack/` — every file
// `package.json` `files` names (plus `package.json` and `README.md`), with each JavaScript file
// minified by esbuild and everything else copied as is. The repository keeps the readable source
// (what `make js-test` runs and what a maintainer edits); the tarball (`npm pack` in `pack/`,
// `make js-consumers`) and `make pkg`'s size table are the minified copy a page downloads.
//
// Minification is per file (esbuild's `transform`, no bundling): every module keeps its own
// relative imports, so the entries still share `src/errors.js` (one `LindyError` class) and a
// bundler still sees `new URL("…_bg.wasm", import.meta.url)`. `keepNames` keeps every function's
// and class's `.name` (messages such as `Space: "lindy" is not initialized` and `console.log`
// print them). The hand-written `.d.ts` files are copied untouched.
//
// usage: node scripts/pack.mjs
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "pack");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** The files under `path` (itself, when it is a file; none when it does not exist, as for npm). */
function expand(path) {
  if (!existsSync(join(ROOT, path))) return [];
  if (!statSync(join(ROOT, path)).isDirectory()) return [path];
  return readdirSync(join(ROOT, path)).flatMap((name) => expand(join(path, name)));
}

rmSync(OUT, { recursive: true, force: true });
let raw = 0;
let minified = 0;
for (const file of ["package.json", "README.md", ...pkg.files.flatMap(expand)]) {
  const to = join(OUT, file);
  mkdirSync(dirname(to), { recursive: true });
  if (!file.endsWith(".js")) {
    cpSync(join(ROOT, file), to);
    continue;
  }
  const source = readFileSync(join(ROOT, file), "utf8");
  const { code } = transformSync(source, {
    loader: "js",
    format: "esm",
    minify: true,
    keepNames: true,
    legalComments: "none",
    sourcefile: file,
  });
  writeFileSync(to, code);
  raw += source.length;
  minified += code.length;
}
console.log(`pack/: JavaScript minified from ${raw} to ${minified} bytes`);
