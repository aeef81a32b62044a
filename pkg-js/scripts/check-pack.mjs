// The npm publish check (`make publish-npm`): packs `pkg-js/pack/` (the package as npm ships it,
// assembled by `make pkg`) with `npm pack`, installs the tarball into a scratch project's
// node_modules, and checks every entry of `package.json` `exports` — not only `lindy`:
//
// * every target of every condition (`types`, `node`, `default`) is a file in the tarball, and a
//   wildcard subpath (`./fanout/*`) matches at least one file per condition, each `.js` with its
//   `.d.ts`;
// * every entry that is code resolves and loads from the installed copy the way a user imports it
//   (`import("lindy/channels")` in the scratch project, Node conditions), and exports something;
//   its browser file (`default`) loads too;
// * every entry has types, and every relative import of a packed `.d.ts` is packed;
// * every wasm export is a WebAssembly module; README.md, the licenses and package.json are there.
//
// usage: node scripts/check-pack.mjs   (from pkg-js/, after `make pkg`)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PACK = join(ROOT, "pack");
const pkg = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8"));
const problems = [];
const fail = (message) => problems.push(message);

const scratch = mkdtempSync(join(tmpdir(), "lindy-pack-check-"));
try {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const [report] = JSON.parse(
    execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: PACK, encoding: "utf8" }),
  );
  const files = new Set(report.files.map((f) => f.path));
  const installed = join(scratch, "node_modules", pkg.name);
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(scratch, report.filename), "-C", installed, "--strip-components=1"]);

  for (const required of ["package.json", "README.md", "LICENSE-MIT", "LICENSE-APACHE"]) {
    if (!files.has(required)) fail(`${required} is not in the tarball`);
  }

  const codeEntries = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const conditions = typeof target === "string" ? { default: target } : target;
    for (const [condition, path] of Object.entries(conditions)) {
      const file = posix.normalize(path);
      if (!subpath.includes("*")) {
        if (!files.has(file)) fail(`exports["${subpath}"].${condition} → ${path} is not in the tarball`);
        continue;
      }
      const [head, tail] = file.split("*");
      const matched = [...files].filter((f) => f.startsWith(head) && f.endsWith(tail));
      if (matched.length === 0) fail(`exports["${subpath}"].${condition} → ${path} matches no packed file`);
      if (condition === "default") {
        for (const js of matched) {
          if (!files.has(js.replace(/\.js$/, ".d.ts"))) fail(`${js} (exports["${subpath}"]) has no .d.ts`);
        }
      }
    }
    if (subpath.endsWith(".wasm")) {
      if (!files.has(posix.normalize(conditions.default))) continue; // reported above
      const bytes = readFileSync(join(installed, conditions.default));
      if (bytes.readUInt32BE(0) !== 0x0061736d) fail(`exports["${subpath}"] is not a WebAssembly module`);
    } else if (subpath !== "./package.json" && !subpath.includes("*")) {
      if (!conditions.types) fail(`exports["${subpath}"] has no types`);
      codeEntries.push([subpath, conditions]);
    }
  }

  // Every relative import of a packed declaration file is packed.
  for (const dts of [...files].filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(join(installed, dts), "utf8");
    for (const [, spec] of text.matchAll(/\bfrom\s*["'](\.[^"']+)["']/g)) {
      const target = posix.normalize(posix.join(posix.dirname(dts), spec)).replace(/\.js$/, ".d.ts");
      if (!files.has(target)) fail(`${dts} imports ${spec}: ${target} is not in the tarball`);
    }
  }

  // Each entry as a user imports it, from the installed copy (a child process: the imports run
  // with the scratch project as their base, and the wasm of every entry is instantiated).
  const probe = join(scratch, "probe.mjs");
  writeFileSync(
    probe,
    `const out = {};
for (const [spec, browserFile] of ${JSON.stringify(codeEntries.map(([sub, c]) => [pkg.name + sub.slice(1), c.default]))}) {
  try {
    const node = await import(spec);
    const browser = await import(new URL(${JSON.stringify(pathToFileURL(installed).href + "/")} + browserFile));
    out[spec] = [Object.keys(node).length, Object.keys(browser).length];
  } catch (e) {
    out[spec] = String(e);
  }
}
console.log(JSON.stringify(out));`,
  );
  const loaded = JSON.parse(execFileSync(process.execPath, [probe], { cwd: scratch, encoding: "utf8" }));
  for (const [spec, outcome] of Object.entries(loaded)) {
    if (typeof outcome === "string") fail(`import("${spec}") failed: ${outcome}`);
    else if (outcome[0] === 0 || outcome[1] === 0) fail(`import("${spec}") exports nothing`);
  }

  if (problems.length > 0) {
    console.error(`npm pack: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    const specs = Object.keys(loaded).join(", ");
    console.log(`npm pack: ${files.size} files, ${report.size} bytes packed; every exports target packed; ${specs} load with types`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
