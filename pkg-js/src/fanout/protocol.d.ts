// The fan-out layer raises the package's one LindyError class (see ../errors.d.ts).
export { Code, LindyError } from "../errors.js";
import type { LindyErrorCode } from "../errors.js";

/** Codes a fan-out call can reject with (plus any code the served Space itself raises; `BUFFER_FULL` also
 * when 2^24 calls are already in flight on one client). */
export type FanoutErrorCode = Extract<LindyErrorCode, "CLOSED" | "ABORTED" | "TIMEOUT" | "LEASE_LOST" | "NOT_CLONEABLE" | "BUFFER_FULL">;
