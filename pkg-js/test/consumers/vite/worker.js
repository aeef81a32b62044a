import * as lindy from "lindy";
import { answer, smoke } from "../smoke.js";

answer(smoke(lindy));
