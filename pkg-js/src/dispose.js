// `using` / `await using` support: `[Symbol.dispose]()` (or `[Symbol.asyncDispose]()`) calls the
// class's own close method. Defined only where the runtime has the symbols (Node 20+, current
// browsers), so older engines see no stray "undefined" property.

/** Makes `cls` disposable by `method` (`"close"`, `"disconnect"`, …). */
export function disposeBy(cls, method) {
  if (!Symbol.dispose) return;
  Object.defineProperty(cls.prototype, Symbol.dispose, {
    value: function dispose() {
      this[method]();
    },
    writable: true,
    configurable: true,
  });
}

/** Makes `cls` async-disposable by `method`, which returns a promise. */
export function asyncDisposeBy(cls, method) {
  if (!Symbol.asyncDispose) return;
  Object.defineProperty(cls.prototype, Symbol.asyncDispose, {
    value: async function asyncDispose() {
      await this[method]();
    },
    writable: true,
    configurable: true,
  });
}
