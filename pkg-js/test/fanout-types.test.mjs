// The hand-written fan-out types are real: usage.ts must compile, its @ts-expect-error lines must
// fail to (tsc --noEmit, with the package's pinned TypeScript).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

test("fan-out .d.ts: real signatures, wrong calls rejected (tsc --noEmit)", { skip: !existsSync(tsc) && "typescript not installed (make tools)" }, () => {
  try {
    execFileSync(process.execPath, [tsc, "-p", fileURLToPath(new URL("./fanout-types/tsconfig.json", import.meta.url))], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc found type errors:\n${e.stdout}${e.stderr}`);
  }
});
