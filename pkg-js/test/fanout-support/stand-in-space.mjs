// TEMPORARY stand-in for the wasm Space while the package is being built on another branch.
// Same contract as issue 8's Space; replaced by the real package as soon as it lands.
function err(code, message, name = "LindyError") {
  const e = new Error(message);
  e.code = code;
  e.name = name;
  return e;
}

// A FIFO with O(1) shift (Array#shift is O(n) on long arrays).
class Bag {
  items = [];
  head = 0;
  get length() {
    return this.items.length - this.head;
  }
  push(v) {
    this.items.push(v);
  }
  get 0() {
    return this.items[this.head];
  }
  shift() {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

export class Space {
  #bags = new Map();
  #waiters = [];
  #closed = false;
  out(key, value) {
    if (typeof key !== "string" || key === "") throw new TypeError("key");
    if (this.#closed) {
      const e = err("CLOSED", "out: closed");
      e.value = value;
      throw e;
    }
    let bag = this.#bags.get(key);
    if (!bag) this.#bags.set(key, (bag = new Bag()));
    bag.push(value);
    this.#wake(key);
  }
  #wake(key) {
    for (const w of [...this.#waiters]) {
      const bag = this.#bags.get(key);
      if (!bag?.length) return;
      if (!w.match(key)) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.done(key, w.remove ? bag.shift() : bag[0]);
    }
  }
  #wait(match, remove, { signal, timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
      for (const [k, bag] of this.#bags) {
        if (bag.length && match(k)) return resolve([k, remove ? bag.shift() : bag[0]]);
      }
      if (this.#closed) return reject(err("CLOSED", "closed"));
      if (signal?.aborted) return reject(err("ABORTED", "aborted", "AbortError"));
      let timer;
      const w = {
        match,
        remove,
        done: (k, v) => {
          cleanup();
          resolve([k, v]);
        },
        fail: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.fail(err("ABORTED", "aborted", "AbortError"));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.fail(err("TIMEOUT", "timeout", "TimeoutError"));
        }, timeoutMs);
      }
      this.#waiters.push(w);
    });
  }
  take(key, opts) {
    return this.#wait((k) => k === key, true, opts).then(([, v]) => v);
  }
  read(key, opts) {
    return this.#wait((k) => k === key, false, opts).then(([, v]) => v);
  }
  takeMatching(pattern, opts) {
    const re = new RegExp("^" + String(pattern).replace(/\./g, "\\.").replace(/\*/g, "[^.]*") + "$");
    return this.#wait((k) => re.test(k), true, opts).then(([key, value]) => ({ key, value }));
  }
  tryTake(key) {
    const bag = this.#bags.get(key);
    if (!bag?.length) return undefined;
    const v = bag.shift();
    return v;
  }
  outMany(key, values) {
    for (const v of values) this.out(key, v);
  }
  takeMany(key, max) {
    const out = [];
    for (let v; out.length < max && (v = this.tryTake(key)) !== undefined; ) out.push(v);
    return out;
  }
  tryTakeMatching(pattern) {
    const re = new RegExp("^" + String(pattern).replace(/\./g, "\\.").replace(/\*/g, "[^.]*") + "$");
    for (const [k, bag] of this.#bags) if (bag.length && re.test(k)) return { key: k, value: bag.shift() };
    return undefined;
  }
  size() {
    let n = 0;
    for (const bag of this.#bags.values()) n += bag.length;
    return n;
  }
  keys() {
    return [...this.#bags].filter(([, b]) => b.length).map(([k]) => k).sort();
  }
  tryRead(key) {
    return this.#bags.get(key)?.[0];
  }
  len(key) {
    return this.#bags.get(key)?.length ?? 0;
  }
  close() {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.fail(err("CLOSED", "closed"));
  }
}
