// The package the fan-out tests run on: its Node entry, imported the way the package's own tests do.
export { Space } from "../../node.js";
export { Manager } from "../../channels.node.js";
