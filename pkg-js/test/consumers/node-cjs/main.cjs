// CommonJS: `require("lindy")` (Node loads the ES module entry with require(esm): no top-level await).
const lindy = require("lindy");
const channels = require("lindy/channels");
const store = require("lindy/store");
const ring = require("lindy/ring");
const { smoke } = require("../smoke.js");
const { serve } = require("lindy/fanout");

smoke(lindy, channels, store, ring).then((result) => console.log(result, typeof serve));
