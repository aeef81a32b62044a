// The package the fan-out tests run on: its Node entry, imported the way the package's own tests do.
export { Space, Manager } from "../../node.js";
