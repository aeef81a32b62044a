// The package the bench runs on: its Node entry.
export { Space } from "../../node.js";
