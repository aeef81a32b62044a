// `make pkg`: wasm-bindgen copies every Rust doc comment of the exported API into its generated
// glue (`dist/*.js`) as JSDoc, which users never read there (the hand-written `.d.ts` files are
// the documentation) but every page downloads: a third of the glue's gzipped size. This reprints
// each given file without comments through the TypeScript printer (a real parser, so strings and
// regular expressions that look like comments are safe), in place.
//
// usage: node scripts/strip-comments.mjs FILE...
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";

const printer = ts.createPrinter({ removeComments: true });
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  writeFileSync(file, printer.printFile(source));
}
