// The self-initializing entry (`lindy/auto`) for native ES module pages and bundlers that allow
// top-level await: the API is ready when the import returns, no `init()` call needed.
import { init } from "./index.js";

await init();

export * from "./index.js";
