// Fast paths for Space's hot methods. A key that is a well-formed string of at most 1024 UTF-16
// units (≤ 3072 UTF-8 bytes, under the 4096-byte key limit) is already valid, so it goes to the
// Rust entry points that take `&str` — no JsValue round trip for the key, about 3× less per call.
// Anything else takes the checking methods, which throw the proper TypeError/LindyError.
const wellFormed = String.prototype.isWellFormed
  ? (s) => s.isWellFormed()
  : () => false; // engines without isWellFormed always take the checking path

const ok = (key) => typeof key === "string" && key.length <= 1024 && wellFormed(key);

export function installFastPaths(Space) {
  const p = Space.prototype;
  const { out, tryTake, tryRead, len, take, read, outMany, takeMany } = p;
  p.out = function (key, value) {
    return ok(key) && value !== undefined ? this.__out(key, value) : out.call(this, key, value);
  };
  p.outMany = function (key, values) {
    return ok(key) && Array.isArray(values) ? this.__outMany(key, values) : outMany.call(this, key, values);
  };
  p.takeMany = function (key, max) {
    return ok(key) && Number.isInteger(max) && max >= 0 && max <= 1048576
      ? this.__takeMany(key, max)
      : takeMany.call(this, key, max);
  };
  p.tryTake = function (key) {
    return ok(key) ? this.__tryTake(key) : tryTake.call(this, key);
  };
  p.tryRead = function (key) {
    return ok(key) ? this.__tryRead(key) : tryRead.call(this, key);
  };
  p.len = function (key) {
    return ok(key) ? this.__len(key) : len.call(this, key);
  };
  p.take = function (key, options) {
    return ok(key) ? this.__take(key, options) : take.call(this, key, options);
  };
  p.read = function (key, options) {
    return ok(key) ? this.__read(key, options) : read.call(this, key, options);
  };
}
