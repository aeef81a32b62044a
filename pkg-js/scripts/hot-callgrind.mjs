// Instructions per `out` + `tryTake` pair on one key, for the size/speed table in
// docs/js-packaging.md: run it under callgrind with N pairs and with 0, and divide the
// difference by N (the empty run is start-up and compilation):
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node scripts/hot-callgrind.mjs 200000
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node scripts/hot-callgrind.mjs 0
// A second argument `pack` runs the minified package `make pkg` assembles (pack/node.js) instead
// of the source (node.js).
const { Space } = await import(process.argv[3] === "pack" ? "../pack/node.js" : "../node.js");

const n = Number(process.argv[2] ?? 0);
const space = new Space();
let sum = 0;
for (let i = 0; i < n; i++) {
  space.out("k", i);
  sum += space.tryTake("k");
}
console.log(n, sum);
