import * as lindy from "lindy";
import { smoke } from "../smoke.js";

console.log(await smoke(lindy));
