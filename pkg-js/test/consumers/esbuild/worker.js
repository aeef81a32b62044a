import * as lindy from "lindy";
import { wrap } from "lindy/workers";
import { answer } from "../smoke.js";

answer(lindy, wrap);
