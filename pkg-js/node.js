// Node.js entry: reads the wasm from disk instead of fetching it.
import { readFile } from "node:fs/promises";
import init from "./dist/lindy.js";

await init({ module_or_path: await readFile(new URL("./dist/lindy_bg.wasm", import.meta.url)) });

export * from "./exports.js";
