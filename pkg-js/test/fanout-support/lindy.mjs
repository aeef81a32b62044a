// The Space the fan-out tests run on.
export { Space } from "./stand-in-space.mjs";
