// Workers do not see the page's import map: the package is imported by its path.
import * as lindy from "/node_modules/lindy/index.js";
import { answer, smoke } from "../smoke.js";

answer(smoke(lindy));
