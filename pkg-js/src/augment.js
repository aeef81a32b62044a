// What JS developers expect of the classes beyond their methods, added once when an entry
// loads: `using`/`await using` close what can be closed, `console.log` and `String()` say
// something useful, and IdbStore takes any binary view. Nothing here is on a hot path. Each entry
// (`lindy`, `lindy/channels`, `lindy/store`) applies the part for its own classes.
import { asyncDisposeBy, disposeBy } from "./dispose.js";
import { describe, typeError } from "./errors.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

// --- explicit resource management -------------------------------------------------------------
// wasm-bindgen makes `[Symbol.dispose]` an alias of `free()`, which destroys the object under any
// promise still waiting on it. For objects with a `close()`, disposing means closing: waiters are
// told (`CLOSED`, or the end of a `for await`), nothing is lost, and the garbage collector frees
// the wasm memory as usual. An iterator disposed early stops like `break` does: what it has not
// taken stays in place.
function closeOnDispose(classes, iterator) {
  for (const cls of classes) disposeBy(cls, "close");
  asyncDisposeBy(iterator, "return");
  if (Symbol.dispose) delete iterator.prototype[Symbol.dispose];
}

// --- vocabulary (docs/vocabulary.md) -----------------------------------------------------------
// The names of the Rust core (`take`, `tryTake`, …) on every surface; the old names stay as
// deprecated aliases of the very same functions (so `ring.pop === ring.take`).
function speak(cls, names) {
  for (const [name, old] of Object.entries(names)) {
    Object.defineProperty(cls.prototype, name, {
      value: cls.prototype[old],
      writable: true,
      configurable: true,
    });
  }
}

// --- console.log / String() ---------------------------------------------------------------------
/** What each class shows: a few cheap facts, never the values it holds. */
const SUMMARY = new Map();

const SAMPLE = 8;
function sample(keys) {
  return keys.length <= SAMPLE ? keys : [...keys.slice(0, SAMPLE), `… ${keys.length - SAMPLE} more`];
}

/** The summary, or `null` for a freed object (its getters would throw). */
function summarize(cls, obj) {
  try {
    return SUMMARY.get(cls)(obj);
  } catch {
    return null;
  }
}

function describeBy(summary) {
  for (const [cls, facts] of summary) {
    SUMMARY.set(cls, facts);
    const proto = cls.prototype;
    Object.defineProperty(proto, Symbol.toStringTag, { value: cls.name, configurable: true });
    Object.defineProperty(proto, INSPECT, {
      value: function inspect(depth, options, nodeInspect) {
        const facts = summarize(cls, this);
        if (facts === null) return `${cls.name} <freed>`;
        return `${cls.name} ${nodeInspect ? nodeInspect(facts, { ...options, depth: 2 }) : JSON.stringify(facts)}`;
      },
      writable: true,
      configurable: true,
    });
    if (!Object.prototype.hasOwnProperty.call(proto, "toString")) {
      Object.defineProperty(proto, "toString", {
        value: function toString() {
          const facts = summarize(cls, this);
          return facts === null ? `${cls.name} <freed>` : `${cls.name} ${JSON.stringify(facts)}`;
        },
        writable: true,
        configurable: true,
      });
    }
  }
}

// --- what an iterator iterates -------------------------------------------------------------------
// The wasm iterator has no state to show; what made it says what it is ("Manager.events",
// "Ring", …), so `console.log(it)` prints `LindyIterator <Manager.events>`, not a pointer.
const ITERATOR_LABEL = new WeakMap();

/** Records what `iterator` iterates, for `console.log`; returns it. */
export function labelIterator(iterator, label) {
  ITERATOR_LABEL.set(iterator, label);
  return iterator;
}

function describeIterator(LindyIterator, sources) {
  const proto = LindyIterator.prototype;
  const show = (it) => `LindyIterator <${ITERATOR_LABEL.get(it) ?? "async iterator"}>`;
  Object.defineProperty(proto, Symbol.toStringTag, { value: "LindyIterator", configurable: true });
  for (const [name, value] of [[INSPECT, function inspect() { return show(this); }], ["toString", function toString() { return show(this); }]]) {
    Object.defineProperty(proto, name, { value, writable: true, configurable: true });
  }
  // `for await (const v of ring)`: the iterator says it reads a Ring (a StreamReader, …).
  for (const cls of sources) {
    const iterate = cls.prototype[Symbol.asyncIterator];
    Object.defineProperty(cls.prototype, Symbol.asyncIterator, {
      value: {
        [Symbol.asyncIterator]() {
          return labelIterator(iterate.call(this), cls.name);
        },
      }[Symbol.asyncIterator],
      writable: true,
      configurable: true,
    });
  }
}

function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer) return new Uint8Array(value);
  return undefined;
}

// --- one function per entry -------------------------------------------------------------------------

/** `lindy`: Space, SpaceKey, Name, Pattern. */
export function augmentCore({ Space, SpaceKey, Name, Pattern }) {
  disposeBy(Space, "close");
  describeBy([
    [Space, (s) => ({ size: s.size, keys: sample(s.keys()), isClosed: s.isClosed })],
    [SpaceKey, (k) => ({ key: k.key, length: k.length })],
  ]);
  // Names and patterns print as what they are.
  for (const cls of [Name, Pattern]) {
    Object.defineProperty(cls.prototype, INSPECT, {
      value: function inspect() {
        return `${cls.name} <${this.toString()}>`;
      },
      writable: true,
      configurable: true,
    });
  }
}

/** `lindy/ring`: Ring, LindyIterator. */
export function augmentRing({ Ring, LindyIterator }) {
  closeOnDispose([Ring], LindyIterator);
  describeIterator(LindyIterator, [Ring]);
  speak(Ring, { take: "pop", tryTake: "tryPop" });
  describeBy([[Ring, (r) => ({ length: r.length, capacity: r.capacity, isClosed: r.isClosed })]]);
}

/** `lindy/channels`: Manager, Streams, StreamWriter, StreamReader, PatternIndex, LindyIterator. */
export function augmentChannels({ Manager, Streams, StreamWriter, StreamReader, PatternIndex, LindyIterator }) {
  closeOnDispose([Streams, StreamWriter, StreamReader], LindyIterator);
  describeIterator(LindyIterator, [StreamReader]);
  describeBy([
    [Manager, (m) => ({ size: m.size, pollTimeout: m.pollTimeout(), autoSweep: m.autoSweep, isClosed: m.isClosed })],
    [Streams, (h) => ({ paths: sample(h.list("")), isClosed: h.isClosed })],
    [StreamWriter, (w) => ({ path: w.path, isClosed: w.isClosed })],
    [StreamReader, (r) => ({ missed: r.missed })],
    [PatternIndex, (p) => ({ size: p.size })],
  ]);
}

/** `lindy/store`: IdbStore. */
export function augmentStore({ IdbStore }) {
  // `await using store = await IdbStore.open("db")`: close() is asynchronous (pending writes
  // settle first), so the store is async-disposable only.
  asyncDisposeBy(IdbStore, "close");
  speak(IdbStore, { take: "pull", tryTake: "tryPull", takeLeased: "pullLeased", tryTakeLeased: "tryPullLeased" });
  if (Symbol.dispose) delete IdbStore.prototype[Symbol.dispose];
  describeBy([[IdbStore, (s) => ({ name: s.name, keys: sample(s.keys()), isClosed: s.isClosed })]]);
  // IdbStore takes any binary view: the wasm side copies from a Uint8Array; an ArrayBuffer, a
  // DataView or any typed array is viewed as its bytes here (no copy), so
  // `store.push(k, new Float32Array(v))` just works.
  const pushBytes = IdbStore.prototype.push;
  Object.defineProperty(IdbStore.prototype, "push", {
    value: {
      push(key, value) {
        const bytes = asBytes(value);
        if (bytes === undefined) {
          const shown = typeof key === "string" && key.length <= 64 ? JSON.stringify(key) : "key";
          return Promise.reject(
            typeError(
              `IdbStore.push(${shown}, value): value must be an ArrayBuffer, a typed array or a DataView, got ${describe(value)} (encode other values yourself, e.g. with TextEncoder)`,
            ),
          );
        }
        return pushBytes.call(this, key, bytes);
      },
    }.push,
    writable: true,
    configurable: true,
  });
}
