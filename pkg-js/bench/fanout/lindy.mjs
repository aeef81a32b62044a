// The Space the bench runs on.
export { Space } from "../../test/fanout-support/stand-in-space.mjs";
