// index.d.ts, ring.d.ts, channels.d.ts and store.d.ts are written by hand for users, so this keeps them honest
// against the runtime: every exported class's methods, getters and statics are declared, and
// nothing that does not exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import * as lindy from "lindy";
import * as lindyChannels from "lindy/channels";
import * as lindyRing from "lindy/ring";
import * as lindyStore from "lindy/store";

const ENTRIES = [
  ["index.d.ts", lindy],
  ["ring.d.ts", lindyRing],
  ["channels.d.ts", lindyChannels],
  ["store.d.ts", lindyStore],
];
// Symbol-keyed members are compared separately; names starting with "__" are private fast paths;
// every object has a toString.
const hidden = (name) => name === "constructor" || name === "toString" || name.startsWith("__");

function declared(file) {
  const DTS = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const program = ts.createProgram([DTS], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(DTS));
  const classes = {};
  for (let sym of checker.getExportsOfModule(module)) {
    if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    if (!(sym.flags & ts.SymbolFlags.Class)) continue;
    const decl = sym.valueDeclaration;
    const split = (props) => {
      const all = props.map((p) => p.getName()).filter((n) => n !== "prototype");
      return {
        plain: all.filter((n) => !n.startsWith("__")).sort(),
        symbols: all.filter((n) => n.startsWith("__@")).map((n) => n.slice(3).split("@")[0]).sort(),
      };
    };
    const inst = split(checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(sym)));
    const stat = split(checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(sym, decl)));
    classes[sym.getName()] = { instance: inst.plain.filter((n) => !hidden(n)), statics: stat.plain, symbols: inst.symbols };
  }
  return classes;
}

/** Own names along the prototype chain (a subclass such as Manager inherits the wasm class's). */
function chain(start, stop, own) {
  const names = new Set();
  for (let o = start; o && o !== stop; o = Object.getPrototypeOf(o)) for (const n of own(o)) names.add(n);
  return [...names];
}

function runtime(cls) {
  const instance = chain(cls.prototype, Object.prototype, Object.getOwnPropertyNames)
    .filter((n) => !hidden(n))
    .sort();
  const statics = chain(cls, Function.prototype, Object.getOwnPropertyNames)
    .filter((n) => !["length", "name", "prototype"].includes(n) && !n.startsWith("__"))
    .sort();
  const symbols = chain(cls.prototype, Object.prototype, Object.getOwnPropertySymbols)
    .map((s) => s.description.replace(/^Symbol\.|^nodejs\.(?=(async)?[dD]ispose$)/, ""))
    .filter((s) => !s.startsWith("nodejs.") && s !== "toStringTag")
    .sort();
  return { instance, statics, symbols: [...new Set(symbols)] };
}

test("every runtime class of every entry is declared with exactly its members", () => {
  for (const [file, entry] of ENTRIES) {
    const types = declared(file);
    const classes = Object.entries(entry).filter(([, v]) => typeof v === "function" && /^class /.test(String(v)));
    assert.deepEqual(Object.keys(types).sort(), classes.map(([k]) => k).sort(), file);
    for (const [name, cls] of classes) {
      if (name === "LindyError") continue; // an Error subclass: its members are data properties
      const want = runtime(cls);
      const got = types[name];
      assert.deepEqual(got.instance, want.instance, `${file} ${name}: instance members`);
      assert.deepEqual(got.statics, want.statics, `${file} ${name}: statics`);
      assert.deepEqual(got.symbols, want.symbols, `${file} ${name}: symbol-keyed members`);
    }
  }
});
