//! `IdbStore`: the durable store-and-forward queue on IndexedDB.
//!
//! The browser twin of the native `FileStore`: a keyed FIFO of byte payloads that survives a page
//! reload, with the same semantics and error codes:
//!
//! * `push` resolves only after the transaction holding it **commits** (durability `"strict"` by
//!   default: the browser flushes to disk before reporting the commit). Memory changes only after
//!   the commit, so a failed push leaves nothing behind, in memory or on disk.
//! * `pull` deletes the entry in a committed transaction **before** the entry leaves memory, so a
//!   crash never resurrects a delivered entry. Per key, entries come out in push order (FIFO).
//! * After `close`, `push`/`pull`/`tryPull` fail with `CLOSED` while `peek`/`len`/`keys` still
//!   answer from memory; `close` is idempotent and resolves once in-flight writes have settled.
//! * Bad input: a non-string key or non-`Uint8Array` value is a `TypeError`; an empty or over-long
//!   key is `KEY_INVALID`; a payload above `maxValueBytes` is `VALUE_TOO_LARGE` — nothing written.
//! * A failed transaction (a quota error, say) rejects every push in it with `IO`, naming the
//!   DOM error; IndexedDB transactions are atomic, so nothing of the batch is half-written.
//!
//! ## One handle per database
//! `open` takes an exclusive Web Lock named `lindy.idb.<dbName>` and holds it until `close` has
//! settled (the browser drops it when the page or worker dies). A second `open` of the same
//! database — in this tab or another — waits up to `lockTimeoutMs` (default 5 s) and then fails
//! with `STORE_LOCKED`, so two handles can never allocate the same sequence numbers or hand out
//! the same entry. Tabs that share a queue elect one owner with `lindy/fanout`'s
//! `openSharedQueue` (the leader module) and forward their operations to it.
//!
//! ## Group commit
//! Transactions, not bytes, are what IndexedDB charges for. Every push and pull is queued and a
//! flush task runs as soon as the current JS job ends: all operations issued until then go into
//! **one** readwrite transaction; operations issued while it commits go into the next one (one
//! transaction in flight at a time, like fsync group commit). The flush only ever awaits the
//! transaction itself — never anything else inside it (IndexedDB auto-commits a transaction whose
//! requests are all done once control returns to the event loop).
//!
//! ## Layout
//! One object store, `log`, keyed by a global sequence number (out-of-line key); each record is
//! `[key, bytes]`. Opening reads everything back in key order (`getAllKeys` + `getAll` in one
//! read-only transaction), so per-key FIFO order and the next sequence number survive a reload.
//! Payloads are held in memory as JS `Uint8Array`s (not in wasm memory, which never shrinks).

//!
//! ## Modules
//! [`options`] parses the options; `open` takes the Web Lock, opens the connection and loads the
//! queue; `state` holds the in-memory queues; `flush` runs group commit through `txn`'s
//! transactions; `futures` holds the waits.

mod flush;
mod futures;
mod leases;
mod lock;
mod open;
pub mod options;
mod state;
mod txn;

use alloc::format;
use alloc::string::String;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use self::flush::{schedule, spawn_flush};
use self::futures::{Idle, Reserve, Ticket};
use self::open::factory;
use self::state::{mark_closed, new_promise, pull_now, queue_pull, seal, Op, Shared, State};
use crate::cancel::{Cancellable, WaitOptions};
use crate::codes;
use crate::idb_sys;
use crate::js;
use lindy::store;
pub use options::{
    Durability, IdbStoreOptions, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_KEY_LEN,
    DEFAULT_MAX_VALUE_LEN,
};

const OBJECT_STORE: &str = "log";
const DB_VERSION: u32 = 1;

/// A durable keyed FIFO queue of byte payloads in IndexedDB (see the [module docs](self)).
#[wasm_bindgen]
pub struct IdbStore {
    state: Shared,
}

fn closed_error(state: &State) -> JsValue {
    match &state.lost {
        Some(why) => js::lindy_error(codes::IO, why),
        None => js::lindy_error(
            codes::CLOSED,
            &format!("IdbStore \"{}\" is closed", state.name),
        ),
    }
}

fn io_error(context: &str, cause: &JsValue) -> JsValue {
    let detail = describe_dom_error(cause);
    js::lindy_error_caused(codes::IO, &format!("{context}: {detail}"), cause)
}

/// `"QuotaExceededError: ..."` for a DOMException/Error, or the value's string form.
fn describe_dom_error(err: &JsValue) -> String {
    let get = |k: &str| {
        js_sys::Reflect::get(err, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
    };
    match (get("name"), get("message")) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (Some(n), _) => n,
        _ => String::from("unknown error"),
    }
}

/// The longest database name `open` and `deleteDatabase` take, in UTF-16 units: checked before
/// the name is copied into wasm memory (IndexedDB itself sets no limit).
const MAX_DB_NAME_LEN: usize = 1024;

/// The database name argument `value` of `what` as a string: `INVALID_CONFIG` when longer than
/// [`MAX_DB_NAME_LEN`] (refused before the copy), a `TypeError` when not a string.
fn database_name(value: &JsValue, what: &str) -> Result<String, JsValue> {
    if let Some(units) = js::too_long(value, MAX_DB_NAME_LEN) {
        return Err(js::lindy_error(
            codes::INVALID_CONFIG,
            &format!("{what} is {units} characters long; at most {MAX_DB_NAME_LEN}"),
        ));
    }
    js::string(value, what)
}

/// The `IndexedDB is not available` error (Node.js, or a context without storage access).
fn no_indexeddb(cause: &JsValue) -> JsValue {
    js::lindy_error_caused(
        codes::IO,
        "IndexedDB is not available in this environment: IdbStore needs a browser window or a web worker (Node.js has no IndexedDB)",
        cause,
    )
}

#[wasm_bindgen]
impl IdbStore {
    /// Opens (creating if needed) the store in the IndexedDB database `dbName`, reading back
    /// every queued entry. Holds the database's Web Lock until closed: while another handle has
    /// it open, waits up to `lockTimeoutMs` (default 5000; 0: not at all) and then rejects with
    /// `STORE_LOCKED` (see the [module docs](self)).
    #[wasm_bindgen(unchecked_return_type = "Promise<IdbStore>")]
    pub fn open(
        #[wasm_bindgen(js_name = dbName, unchecked_param_type = "string")] db_name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "IdbStoreOptions")] options: JsValue,
    ) -> Promise {
        let parsed = database_name(&db_name, "IdbStore.open: dbName")
            .and_then(|name| IdbStoreOptions::parse(&options).map(|o| (name, o)));
        match parsed {
            Err(e) => Promise::reject(&e),
            Ok((name, opts)) => js::spawn_promise(async move {
                IdbStore::open_with(&name, opts).await.map(JsValue::from)
            }),
        }
    }

    /// Deletes the IndexedDB database `dbName` with everything in it. Open stores on it (in this
    /// or another tab) are closed first, as they are asked to by the browser.
    #[wasm_bindgen(js_name = deleteDatabase, unchecked_return_type = "Promise<void>")]
    pub fn delete_database(
        #[wasm_bindgen(js_name = dbName, unchecked_param_type = "string")] db_name: JsValue,
    ) -> Promise {
        let name = match database_name(&db_name, "IdbStore.deleteDatabase: dbName") {
            Ok(n) => n,
            Err(e) => return Promise::reject(&e),
        };
        js::spawn_promise(async move {
            let fail = |e: JsValue| io_error("IndexedDB deleteDatabase failed", &e);
            let request = factory()?.delete_database(&name).map_err(fail)?;
            idb_sys::request(&request).await.map_err(fail)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The database name this store was opened on.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.state.borrow().name.clone()
    }

    /// Appends `value` (copied) to `key`'s queue. Resolves once the transaction holding it has
    /// committed; rejects with `CLOSED` after `close`, `IO` if the transaction fails.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] value: JsValue,
    ) -> Promise {
        match self.try_queue_push(&key, &value) {
            Ok(p) => p,
            Err(e) => Promise::reject(&e),
        }
    }

    /// Removes and returns the oldest payload of `key`, waiting for one if the queue is empty.
    /// The delete is committed before the promise resolves.
    ///
    /// # Cancel safety
    /// `signal`/`timeoutMs` cancel the wait with `ABORTED`/`TIMEOUT` and take nothing; once an
    /// entry is assigned to this pull (its delete is queued), the pull completes with it
    /// regardless, so an abort never loses an entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn pull(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = (|| {
            let key = self.check_key(&key, "IdbStore.take: key")?;
            let opts = WaitOptions::parse(&options, "IdbStore.take")?;
            {
                let st = self.state.borrow();
                if st.closed {
                    return Err(closed_error(&st));
                }
            }
            opts.check_aborted()?;
            Ok((key, opts))
        })();
        let (key, opts) = match prepared {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        // Fast path: an entry is there, no need for a wait future.
        if let Some(done) = pull_now(&self.state, &key) {
            return js::spawn_promise(Ticket(done));
        }
        let state = self.state.clone();
        let reserve = Reserve::new(state.clone(), key.clone());
        js::spawn_promise(async move {
            let taken = Cancellable::new(reserve, &opts).await??;
            // Same poll as the take: the entry is leased and its delete queued before anything
            // else can run.
            let done = queue_pull(&state, &key, taken);
            Ticket(done).await
        })
    }

    /// Removes and returns the oldest payload of `key` if there is one (`undefined` otherwise),
    /// without waiting for a push. The delete is committed before the promise resolves.
    #[wasm_bindgen(js_name = tryPull, unchecked_return_type = "Promise<Uint8Array | undefined>")]
    pub fn try_pull(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Promise {
        let key = match self.check_key(&key, "IdbStore.tryTake: key") {
            Ok(k) => k,
            Err(e) => return Promise::reject(&e),
        };
        {
            let st = self.state.borrow();
            if st.closed {
                return Promise::reject(&closed_error(&st));
            }
        }
        match pull_now(&self.state, &key) {
            Some(done) => js::spawn_promise(Ticket(done)),
            // Sealed and drained: the close rule's end.
            None if self.state.borrow().sealed => {
                Promise::reject(&closed_error(&self.state.borrow()))
            }
            None => Promise::resolve(&JsValue::UNDEFINED),
        }
    }

    /// A copy of the oldest payload of `key` that a pull would take next, or `undefined`.
    /// Answers after `close` too.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array | undefined")]
    pub fn peek(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = self.check_key(&key, "IdbStore.peek: key")?;
        let st = self.state.borrow();
        Ok(st
            .queue
            .try_peek(&key)
            .map(|r| r.value.slice(0, r.value.length()).into())
            .unwrap_or(JsValue::UNDEFINED))
    }

    /// How many payloads are queued under `key` (not counting ones a pull is already taking or
    /// that are out on lease).
    /// Answers after `close` too.
    pub fn len(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<u32, JsValue> {
        let key = self.check_key(&key, "IdbStore.len: key")?;
        let st = self.state.borrow();
        Ok(st.queue.len(&key) as u32)
    }

    /// The keys that have queued payloads, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn keys(&self) -> Array {
        let st = self.state.borrow();
        let keys: Array = st
            .queue
            .keys()
            .filter(|k| st.queue.len(k) > 0)
            .map(JsValue::from_str)
            .collect();
        // Sorted by JS (`Array.prototype.sort`, UTF-16 code-unit order): keeps a sort routine
        // out of the wasm.
        keys.sort()
    }

    /// Closes the store: later `push`/`pull` reject with `CLOSED` and waiting pulls are woken with
    /// `CLOSED`; writes already accepted still commit. Resolves once they have settled and the
    /// connection is closed. Idempotent.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        mark_closed(&self.state, None);
        let idle = Idle(self.state.clone());
        js::spawn_promise(async move {
            idle.await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Seals the store without letting go of the database — the one close rule: `push` is refused
    /// with `CLOSED` from now on, waiting pulls with nothing queued for them end with `CLOSED`,
    /// and `pull`/`tryPull`/`pullLeased` drain what is queued, then fail with `CLOSED`; leases
    /// still `ack` and `nack`. `close()` seals and also releases the database. Idempotent.
    pub fn seal(&self) {
        seal(&self.state);
    }

    /// Whether `close` was called (or the browser closed the connection).
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }
}

/// The Rust-side API (not exported to JS): for Rust callers and the wasm tests.
impl IdbStore {
    /// The Rust form of `pull`: a lazy future that removes and returns the oldest payload of
    /// `key`, waiting for one; its delete has committed when it resolves.
    ///
    /// # Cancel safety
    /// Dropped while it waits, it takes nothing — an entry already handed to it (and not yet
    /// seen by it) goes back to the head of its key, age kept, and on to the next pull. Once it
    /// has seen its entry, the entry's delete is queued: dropping it after that point deletes the
    /// entry without delivering it, so poll it to completion once it has started.
    pub async fn pull_async(&self, key: &str) -> Result<JsValue, JsValue> {
        {
            let st = self.state.borrow();
            if st.closed {
                return Err(closed_error(&st));
            }
        }
        let taken = Reserve::new(self.state.clone(), String::from(key)).await?;
        // Same poll as the take: leased and queued before anything else runs.
        let done = queue_pull(&self.state, key, taken);
        Ticket(done).await
    }

    /// Test hook: the next transaction is aborted after its requests are issued, as a quota error
    /// would abort it. Exercises the "nothing half-written, clear error" path.
    #[doc(hidden)]
    pub fn fail_next_transaction(&self) {
        self.state.borrow_mut().fail_next = true;
    }

    /// How many write transactions have committed since open (shows group commit at work).
    pub fn commits(&self) -> u64 {
        self.state.borrow().commits
    }

    /// The native store's key rule (`store::validate_key`: same limits, same message), plus the
    /// JS-only one: no lone surrogates.
    fn check_key(&self, key: &JsValue, what: &str) -> Result<String, JsValue> {
        let max = self.state.borrow().opts.max_key_len;
        // Far too long: refused on its UTF-16 length, before it is copied into wasm memory.
        if let Some(units) = js::too_long(key, max) {
            return Err(js::lindy_error(
                codes::KEY_INVALID,
                &format!("{what} is at least {units} bytes long, above the maximum of {max}"),
            ));
        }
        let k = js::string(key, what)?;
        store::validate_key(&k, max).map_err(|e| js::from_code(&e))?;
        js::well_formed(&k, key, what)?;
        Ok(k)
    }

    fn try_queue_push(&self, key: &JsValue, value: &JsValue) -> Result<Promise, JsValue> {
        let key = self.check_key(key, "IdbStore.push: key")?;
        let value = js::bytes(value, "IdbStore.push: value")?;
        let mut st = self.state.borrow_mut();
        if st.sealed {
            return Err(closed_error(&st));
        }
        store::validate_value(value.length() as usize, st.opts.max_value_len)
            .map_err(|e| js::from_code(&e))?;
        let held = st.queue.total_len() + st.queue.leased_len() + st.puts_in_flight;
        if held >= st.opts.max_entries {
            return Err(js::lindy_error(
                codes::BUFFER_FULL,
                &format!(
                    "IdbStore.push: the store holds its maxEntries {} payloads; nothing was written",
                    st.opts.max_entries
                ),
            ));
        }
        if st.held_bytes + f64::from(value.length()) > st.opts.max_bytes as f64 {
            return Err(js::lindy_error(
                codes::BUFFER_FULL,
                &format!(
                    "IdbStore.push: {} more bytes would pass the store's maxBytes {}; nothing was written",
                    value.length(),
                    st.opts.max_bytes
                ),
            ));
        }
        st.puts_in_flight += 1;
        st.held_bytes += f64::from(value.length());
        // Copy in: the caller may reuse its buffer, and a view on a larger buffer would otherwise
        // make IndexedDB store the whole buffer.
        let copy = Uint8Array::new_with_length(value.length());
        copy.set(&value, 0);
        let seq = st.next_seq;
        st.next_seq += 1.0;
        let (promise, done) = new_promise();
        st.pending.push(Op::Put {
            seq,
            key,
            value: copy,
            done,
        });
        let spawn = schedule(&mut st);
        drop(st);
        if spawn {
            spawn_flush(&self.state);
        }
        Ok(promise)
    }
}
