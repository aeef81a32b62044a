// How a browser entry loads its wasm, and what its classes do before that: every entry (`lindy`,
// `lindy/channels`, `lindy/store`) has its own wasm and its own `init()`; its classes throw a
// coded `NOT_INITIALIZED` LindyError when used before that `init()` resolved (instead of a
// `TypeError` from deep inside the generated glue).
import { Code, LindyError } from "./errors.js";

// An iife bundle (esbuild's default format, Vite's default for workers) has no
// `import.meta.url`: there the wasm is looked for next to the running script, whose URL is only
// known while it evaluates (`document.currentScript`), so it is taken now.
const scriptUrl = globalThis.document?.currentScript?.src || globalThis.location?.href;
const hasMetaUrl = typeof import.meta.url === "string";

/**
 * The loader of the entry `entry` (its subpath, named in `NOT_INITIALIZED` messages) whose
 * generated glue is `glue` and whose wasm file is `wasmFile`: its `init()`, and `ready()`, which
 * says whether that has resolved.
 */
export function initializer(glue, wasmFile, entry) {
  let ready = false;
  /**
   * Loads the entry's WebAssembly module (once: later calls resolve at once). `source` is where
   * the wasm is: by default next to the package's glue (which Vite and webpack emit as an
   * asset), or next to the running script in an iife bundle.
   */
  function init(source) {
    if (source === undefined && !hasMetaUrl && scriptUrl) source = new URL(wasmFile, scriptUrl);
    return glue.default({ module_or_path: source }).then(
      () => {
        glue.__setErrorClass(LindyError);
        ready = true;
      },
      // A failed fetch or compile is coded like every other lindy error (the cause attached);
      // nothing was loaded, so a later init() tries again.
      (cause) => {
        throw new LindyError(
          Code.IO,
          `init ("${entry}"): could not load its wasm (${wasmFile}): ${cause?.message ?? String(cause)}`,
          { cause },
        );
      },
    );
  }
  return { init, ready: () => ready, entry };
}

/** Hands an already instantiated glue (Node's synchronous load) the `LindyError` class. */
export function installErrorClass(glue) {
  glue.__setErrorClass(LindyError);
}

function notInitialized(loader, cls, member) {
  return new LindyError(
    Code.NOT_INITIALIZED,
    `${cls.name}${member ? `.${member}` : ""}: "${loader.entry}" is not initialized: \`await init()\` from "${loader.entry}" first (it loads the wasm)`,
  );
}

/**
 * `cls` as the entry exports it: constructing it, or calling one of its own static methods,
 * before `loader`'s `init()` resolved throws `NOT_INITIALIZED`. Instances are the class's own
 * (`instanceof`, subclassing and prototypes are untouched; no cost per method call). The
 * statics named in `loading` load the wasm themselves (async ones, like `IdbStore.open`).
 */
export function guarded(cls, loader, loading = []) {
  const proxy = new Proxy(cls, {
    construct(target, args, newTarget) {
      if (!loader.ready()) throw notInitialized(loader, target);
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
    },
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (
        loader.ready() ||
        typeof value !== "function" ||
        typeof prop !== "string" ||
        prop === "prototype" ||
        loading.includes(prop) ||
        !Object.prototype.hasOwnProperty.call(target, prop)
      ) {
        return value;
      }
      return function (...args) {
        if (!loader.ready()) throw notInitialized(loader, target, prop);
        return value.apply(this === receiver ? target : this, args);
      };
    },
  });
  return proxy;
}
