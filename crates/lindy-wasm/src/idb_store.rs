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

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use hashbrown::HashMap;
use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbFactory, IdbKeyRange, IdbOpenDbRequest, IdbTransaction};

use super::cancel::{Cancellable, WaitOptions};
use super::idb_sys::{self, Completion};
use super::js;
use crate::codes;
use lindy::sync::{WaitQueue, WaiterSlot};

const OBJECT_STORE: &str = "log";
const DB_VERSION: u32 = 1;

// The native store's limits, so both stores accept and refuse the same keys and values.
use lindy::store::{self, MAX_KEY_LEN as MAX_KEY_LIMIT, MAX_VALUE_LEN as MAX_VALUE_LIMIT};
pub use lindy::store::{DEFAULT_MAX_KEY_LEN, DEFAULT_MAX_VALUE_LEN};

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase`, seen through the one method web-sys gates behind `web_sys_unstable_apis`.
    type IdbDatabaseWithOptions;
    // `IDBDatabase.transaction(names, mode, { durability })`.
    #[wasm_bindgen(catch, method, js_name = transaction)]
    fn transaction_with_options(
        this: &IdbDatabaseWithOptions,
        store: &str,
        mode: &str,
        options: &JsValue,
    ) -> Result<IdbTransaction, JsValue>;
}

/// The IndexedDB durability hint for write transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// The commit is reported only once the data is flushed to disk (the default: an
    /// acknowledged push survives a power cut).
    #[default]
    Strict,
    /// The commit is reported once the data is handed to the OS (faster; may be lost on a power
    /// cut, never on a tab or browser crash).
    Relaxed,
    /// The browser's default (relaxed in current Chromium and Firefox).
    Default,
}

impl Durability {
    fn as_str(self) -> &'static str {
        match self {
            Durability::Strict => "strict",
            Durability::Relaxed => "relaxed",
            Durability::Default => "default",
        }
    }
}

/// Options of [`IdbStore::open`] (`{ durability, maxKeyBytes, maxValueBytes }` from JS).
#[derive(Clone, Debug)]
pub struct IdbStoreOptions {
    /// Durability of write transactions.
    pub durability: Durability,
    /// Longest key accepted, in UTF-8 bytes.
    pub max_key_len: usize,
    /// Largest payload accepted, in bytes.
    pub max_value_len: usize,
}

impl Default for IdbStoreOptions {
    fn default() -> Self {
        IdbStoreOptions {
            durability: Durability::Strict,
            max_key_len: DEFAULT_MAX_KEY_LEN,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
        }
    }
}

impl IdbStoreOptions {
    /// Parses the JS options object (`undefined`/`null` give the defaults).
    pub fn parse(value: &JsValue) -> Result<IdbStoreOptions, JsValue> {
        let mut opts = IdbStoreOptions::default();
        let Some(obj) = js::options(value, "IdbStore.open: options")? else {
            return Ok(opts);
        };
        js::known_options(
            &obj,
            "IdbStore.open: options",
            &["durability", "maxKeyBytes", "maxValueBytes"],
        )?;
        let durability = js::field(&obj, "durability")?;
        if !durability.is_undefined() {
            let d = js::string(&durability, "IdbStore.open: options.durability")?;
            opts.durability = match d.as_str() {
                "strict" => Durability::Strict,
                "relaxed" => Durability::Relaxed,
                "default" => Durability::Default,
                _ => {
                    return Err(js::range_error(&format!(
                        "IdbStore.open: options.durability must be \"strict\", \"relaxed\" or \"default\", got {d:?}"
                    )))
                }
            };
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxKeyBytes")?,
            "IdbStore.open: options.maxKeyBytes",
            1.0,
            MAX_KEY_LIMIT as f64,
        )? {
            opts.max_key_len = n as usize;
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxValueBytes")?,
            "IdbStore.open: options.maxValueBytes",
            0.0,
            MAX_VALUE_LIMIT as f64,
        )? {
            opts.max_value_len = n as usize;
        }
        Ok(opts)
    }
}

/// A queued entry: its sequence number (the IndexedDB key) and its payload.
struct Entry {
    seq: f64,
    value: Uint8Array,
    /// A pull holds this entry: its delete is queued or in flight.
    reserved: bool,
}

/// One key's queue and the pulls waiting on it.
#[derive(Default)]
struct KeyState {
    entries: VecDeque<Entry>,
    /// Entries not reserved by a pull (what `len`/`peek` report and a new pull may take).
    available: usize,
    waiters: WaitQueue,
}

impl KeyState {
    fn first_available(&mut self) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| !e.reserved)
    }
}

/// A promise's `resolve` and `reject`.
struct Settle {
    resolve: Function,
    reject: Function,
}

fn new_promise() -> (Promise, Settle) {
    let mut fns = None;
    let promise = Promise::new(&mut |resolve, reject| fns = Some((resolve, reject)));
    // The executor runs synchronously inside `new Promise`, so `fns` is always set.
    let (resolve, reject) = fns.unwrap_or_else(|| (Function::default(), Function::default()));
    (promise, Settle { resolve, reject })
}

enum Op {
    Put {
        seq: f64,
        key: String,
        value: Uint8Array,
        done: Settle,
    },
    Delete {
        seq: f64,
        key: String,
        done: Rc<Completion>,
        /// Already re-queued once after failing in a transaction that also held puts.
        retried: bool,
    },
}

struct State {
    name: String,
    db: Option<IdbDatabase>,
    opts: IdbStoreOptions,
    keys: HashMap<String, KeyState>,
    next_seq: f64,
    pending: Vec<Op>,
    /// A flush task is scheduled or running.
    flushing: bool,
    /// `close` was called (or another connection asked us to go away).
    closed: bool,
    /// Why writes fail after an unexpected close, if the browser closed the connection.
    lost: Option<String>,
    /// `close` futures waiting for the flush task to finish.
    idle_wakers: Vec<Waker>,
    /// Test hook: abort the next transaction after issuing its requests.
    fail_next: bool,
    /// Transactions committed (observability and the group-commit tests).
    commits: u64,
    /// Event handlers kept alive for the connection's lifetime.
    _handlers: Vec<Closure<dyn FnMut()>>,
}

type Shared = Rc<RefCell<State>>;

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
    /// every queued entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<IdbStore>")]
    pub fn open(
        #[wasm_bindgen(js_name = dbName, unchecked_param_type = "string")] db_name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "IdbStoreOptions")] options: JsValue,
    ) -> Promise {
        let parsed = js::string(&db_name, "IdbStore.open: dbName")
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
        let name = match js::string(&db_name, "IdbStore.deleteDatabase: dbName") {
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
    /// Cancel-safety: `signal`/`timeoutMs` cancel the wait with `ABORTED`/`TIMEOUT` and take
    /// nothing; once an entry is assigned to this pull (its delete is queued), the pull completes
    /// with it regardless, so an abort never loses an entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn pull(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = (|| {
            let key = self.check_key(&key, "IdbStore.pull: key")?;
            let opts = WaitOptions::parse(&options, "IdbStore.pull")?;
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
        if let Some(done) = reserve(&self.state, &key) {
            return js::spawn_promise(Ticket(done));
        }
        let reserve = Reserve {
            state: self.state.clone(),
            key,
            slot: WaiterSlot::new(),
        };
        js::spawn_promise(async move {
            let ticket = Cancellable::new(reserve, &opts).await??;
            ticket.await
        })
    }

    /// Removes and returns the oldest payload of `key` if there is one (`undefined` otherwise),
    /// without waiting for a push. The delete is committed before the promise resolves.
    #[wasm_bindgen(js_name = tryPull, unchecked_return_type = "Promise<Uint8Array | undefined>")]
    pub fn try_pull(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Promise {
        let key = match self.check_key(&key, "IdbStore.tryPull: key") {
            Ok(k) => k,
            Err(e) => return Promise::reject(&e),
        };
        {
            let st = self.state.borrow();
            if st.closed {
                return Promise::reject(&closed_error(&st));
            }
        }
        match reserve(&self.state, &key) {
            Some(done) => js::spawn_promise(Ticket(done)),
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
        let mut st = self.state.borrow_mut();
        Ok(st
            .keys
            .get_mut(&key)
            .and_then(KeyState::first_available)
            .map(|e| e.value.slice(0, e.value.length()).into())
            .unwrap_or(JsValue::UNDEFINED))
    }

    /// How many payloads are queued under `key` (not counting ones a pull is already taking).
    /// Answers after `close` too.
    pub fn len(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<u32, JsValue> {
        let key = self.check_key(&key, "IdbStore.len: key")?;
        let st = self.state.borrow();
        Ok(st.keys.get(&key).map_or(0, |k| k.available as u32))
    }

    /// The keys that have queued payloads, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn keys(&self) -> Array {
        let st = self.state.borrow();
        let keys: Array = st
            .keys
            .iter()
            .filter(|(_, k)| k.available > 0)
            .map(|(name, _)| JsValue::from_str(name))
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

    /// Whether `close` was called (or the browser closed the connection).
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }
}

/// The Rust-side API (not exported to JS): for Rust callers and the wasm tests.
impl IdbStore {
    /// Opens the store on database `name` with `opts` (see [`IdbStore::open`]).
    pub async fn open_with(name: &str, opts: IdbStoreOptions) -> Result<IdbStore, JsValue> {
        let fail = |e: JsValue| io_error(&format!("IndexedDB open of \"{name}\" failed"), &e);
        let request: IdbOpenDbRequest = factory()?.open_with_u32(name, DB_VERSION).map_err(fail)?;
        // Version 1 is the only schema: create the object store on first open. A failure here
        // aborts the upgrade, which fails the open request below.
        let req = request.clone();
        let on_upgrade = Closure::<dyn FnMut()>::new(move || {
            if let Ok(db) = req.result() {
                let db: IdbDatabase = db.unchecked_into();
                if !db.object_store_names().contains(OBJECT_STORE) {
                    let _ = db.create_object_store(OBJECT_STORE);
                }
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let opened = idb_sys::request(&request).await;
        request.set_onupgradeneeded(None);
        drop(on_upgrade);
        let db: IdbDatabase = opened.map_err(fail)?.unchecked_into();

        let (keys, next_seq) = match load(&db).await {
            Ok(loaded) => loaded,
            Err(e) => {
                db.close();
                return Err(e);
            }
        };
        let state = Rc::new(RefCell::new(State {
            name: String::from(name),
            db: Some(db.clone()),
            opts,
            keys,
            next_seq,
            pending: Vec::new(),
            flushing: false,
            closed: false,
            lost: None,
            idle_wakers: Vec::new(),
            fail_next: false,
            commits: 0,
            _handlers: Vec::new(),
        }));
        // Another connection wants to delete or upgrade the database: step aside (finish what was
        // accepted, then close), or its request would be blocked for as long as this tab lives.
        let weak = Rc::downgrade(&state);
        let on_version_change = Closure::<dyn FnMut()>::new(move || {
            if let Some(st) = weak.upgrade() {
                mark_closed(&st, None);
            }
        });
        // The browser closed the connection (storage cleared, disk error): writes now fail with IO.
        let weak: Weak<RefCell<State>> = Rc::downgrade(&state);
        let on_close = Closure::<dyn FnMut()>::new(move || {
            if let Some(st) = weak.upgrade() {
                let why = format!(
                    "the browser closed IndexedDB database \"{}\" (storage cleared or an I/O error); reopen the store",
                    st.borrow().name
                );
                st.borrow_mut().db = None;
                mark_closed(&st, Some(why));
            }
        });
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        db.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        state.borrow_mut()._handlers = alloc::vec![on_version_change, on_close];
        Ok(IdbStore { state })
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
        let k = js::string(key, what)?;
        store::validate_key(&k, max).map_err(|e| js::from_code(&e))?;
        js::well_formed(&k, key, what)?;
        Ok(k)
    }

    fn try_queue_push(&self, key: &JsValue, value: &JsValue) -> Result<Promise, JsValue> {
        let key = self.check_key(key, "IdbStore.push: key")?;
        let value = js::bytes(value, "IdbStore.push: value")?;
        let mut st = self.state.borrow_mut();
        if st.closed {
            return Err(closed_error(&st));
        }
        store::validate_value(value.length() as usize, st.opts.max_value_len)
            .map_err(|e| js::from_code(&e))?;
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

/// The global `indexedDB` (window or worker), or the "not available" error (Node.js).
fn factory() -> Result<IdbFactory, JsValue> {
    let value = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map_err(|e| no_indexeddb(&e))?;
    value.dyn_into::<IdbFactory>().map_err(|v| no_indexeddb(&v))
}

/// Reads every record back: keys and values in one read-only transaction, both in key order.
async fn load(db: &IdbDatabase) -> Result<(HashMap<String, KeyState>, f64), JsValue> {
    let fail = |e: JsValue| io_error("IndexedDB read failed", &e);
    let tx = db.transaction_with_str(OBJECT_STORE).map_err(fail)?;
    let store = tx.object_store(OBJECT_STORE).map_err(fail)?;
    // Issue both requests before awaiting either: nothing but IndexedDB requests is awaited.
    let keys_req = idb_sys::request(&store.get_all_keys().map_err(fail)?);
    let values_req = idb_sys::request(&store.get_all().map_err(fail)?);
    let seqs: Array = keys_req.await.map_err(fail)?.unchecked_into();
    let records: Array = values_req.await.map_err(fail)?.unchecked_into();
    if seqs.length() != records.length() {
        return Err(js::lindy_error(
            codes::STORE_CORRUPT,
            "IndexedDB returned different numbers of keys and records",
        ));
    }
    let mut keys: HashMap<String, KeyState> = HashMap::new();
    let mut next_seq = 0.0f64;
    for (seq, record) in seqs.iter().zip(records.iter()) {
        let corrupt = || {
            js::lindy_error(
                codes::STORE_CORRUPT,
                &format!(
                    "IndexedDB record {} is not a [key, Uint8Array] pair",
                    js::number_string(&seq)
                ),
            )
        };
        let seq = seq.as_f64().ok_or_else(corrupt)?;
        let pair: &Array = record.dyn_ref::<Array>().ok_or_else(corrupt)?;
        let key = pair.get(0).as_string().ok_or_else(corrupt)?;
        let value = pair
            .get(1)
            .dyn_into::<Uint8Array>()
            .map_err(|_| corrupt())?;
        let ks = keys.entry(key).or_default();
        ks.entries.push_back(Entry {
            seq,
            value,
            reserved: false,
        });
        ks.available += 1;
        next_seq = next_seq.max(seq + 1.0);
    }
    Ok((keys, next_seq))
}

/// Marks the store closed (idempotent): every waiting pull is woken to find `CLOSED`; writes
/// already accepted are still flushed. `lost` records an unexpected close by the browser.
fn mark_closed(state: &Shared, lost: Option<String>) {
    let mut wakers = Vec::new();
    let spawn;
    {
        let mut st = state.borrow_mut();
        if lost.is_some() && st.lost.is_none() {
            st.lost = lost;
        }
        st.closed = true;
        for ks in st.keys.values_mut() {
            while let Some(w) = ks.waiters.notify_one() {
                wakers.push(w);
            }
        }
        // With nothing to flush, close the connection now; otherwise the flush task does it.
        spawn = if st.flushing {
            false
        } else {
            st.flushing = true;
            true
        };
    }
    for w in wakers {
        w.wake();
    }
    if spawn {
        spawn_flush(state);
    }
}

/// Reserves the first available entry of `key` for a pull and queues its delete.
fn reserve(state: &Shared, key: &str) -> Option<Rc<Completion>> {
    let mut st = state.borrow_mut();
    let done = reserve_locked(&mut st, key)?;
    let spawn = schedule(&mut st);
    drop(st);
    if spawn {
        spawn_flush(state);
    }
    Some(done)
}

fn reserve_locked(st: &mut State, key: &str) -> Option<Rc<Completion>> {
    let ks = st.keys.get_mut(key)?;
    let entry = ks.first_available()?;
    entry.reserved = true;
    let seq = entry.seq;
    ks.available -= 1;
    let done = Rc::new(Completion::default());
    st.pending.push(Op::Delete {
        seq,
        key: String::from(key),
        done: done.clone(),
        retried: false,
    });
    Some(done)
}

/// Whether a flush task must be spawned (none scheduled or running).
fn schedule(st: &mut State) -> bool {
    if st.flushing {
        false
    } else {
        st.flushing = true;
        true
    }
}

fn spawn_flush(state: &Shared) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(flush(state));
}

/// The flush task: one write transaction at a time, each holding everything queued since the
/// previous one started. Ends (and closes the connection if the store is closed) when idle.
async fn flush(state: Shared) {
    loop {
        let (ops, db, durability, fail) = {
            let mut st = state.borrow_mut();
            if st.pending.is_empty() {
                st.flushing = false;
                if st.closed {
                    if let Some(db) = st.db.take() {
                        db.close();
                    }
                }
                let wakers = core::mem::take(&mut st.idle_wakers);
                drop(st);
                for w in wakers {
                    w.wake();
                }
                return;
            }
            let ops = core::mem::take(&mut st.pending);
            let fail = core::mem::replace(&mut st.fail_next, false);
            (ops, st.db.clone(), st.opts.durability, fail)
        };
        let outcome = match db {
            Some(db) => run_transaction(&db, &ops, durability, fail).await,
            None => Err(closed_error(&state.borrow())),
        };
        finish(&state, ops, outcome);
    }
}

/// Runs one readwrite transaction with every op's request; awaits only its completion.
async fn run_transaction(
    db: &IdbDatabase,
    ops: &[Op],
    durability: Durability,
    fail: bool,
) -> Result<(), JsValue> {
    let context = "IndexedDB write transaction failed; nothing from this batch was written";
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &options,
        &JsValue::from_str("durability"),
        &JsValue::from_str(durability.as_str()),
    );
    let raw = db
        .unchecked_ref::<IdbDatabaseWithOptions>()
        .transaction_with_options(OBJECT_STORE, "readwrite", &options)
        .map_err(|e| io_error(context, &e))?;
    let store = raw
        .object_store(OBJECT_STORE)
        .map_err(|e| io_error(context, &e))?;
    // Listen before issuing anything, so no event can be missed.
    let committed = idb_sys::transaction(&raw);
    let abort = |e: JsValue| {
        let _ = raw.abort();
        io_error(context, &e)
    };
    let mut deletes: Vec<f64> = Vec::new();
    for op in ops {
        match op {
            Op::Put {
                seq, key, value, ..
            } => {
                let record = Array::of2(&JsValue::from_str(key), value);
                store
                    .put_with_key(&record, &JsValue::from_f64(*seq))
                    .map_err(abort)?;
            }
            Op::Delete { seq, .. } => deletes.push(*seq),
        }
    }
    // Tombstones for consecutive sequence numbers go out as one key-range delete: a batch of
    // pulls from one busy key is a single request instead of one per entry. (Runs are taken in
    // issue order, which is ascending per key; no sort needed.)
    let mut i = 0;
    while i < deletes.len() {
        let lo = deletes[i];
        let mut hi = lo;
        while deletes.get(i + 1) == Some(&(hi + 1.0)) {
            i += 1;
            hi = deletes[i];
        }
        i += 1;
        let request = if lo == hi {
            store.delete(&JsValue::from_f64(lo))
        } else {
            IdbKeyRange::bound(&JsValue::from_f64(lo), &JsValue::from_f64(hi))
                .and_then(|range| store.delete(&range))
        };
        request.map_err(abort)?;
    }
    if fail {
        let _ = raw.abort();
    } else {
        // Every request is issued: ask for the commit now rather than after the last success
        // event (older engines without `commit()` simply auto-commit). web-sys marks it deprecated
        // because IndexedDB 2.0 dropped it; IndexedDB 3.0 brought it back.
        #[allow(deprecated)]
        let _ = raw.commit();
    }
    committed.await.map(drop).map_err(|e| io_error(context, &e))
}

/// Applies a transaction's outcome to memory and settles its operations.
fn finish(state: &Shared, ops: Vec<Op>, outcome: Result<(), JsValue>) {
    let mut wakers: Vec<Waker> = Vec::new();
    let mut settled: Vec<(Function, JsValue)> = Vec::new();
    let mut completions: Vec<(Rc<Completion>, Result<JsValue, JsValue>)> = Vec::new();
    {
        let mut st = state.borrow_mut();
        let had_puts = ops.iter().any(|op| matches!(op, Op::Put { .. }));
        if outcome.is_ok() {
            st.commits += 1;
        }
        for op in ops {
            match (op, &outcome) {
                (
                    Op::Put {
                        key,
                        seq,
                        value,
                        done,
                    },
                    Ok(()),
                ) => {
                    let ks = st.keys.entry(key).or_default();
                    ks.entries.push_back(Entry {
                        seq,
                        value,
                        reserved: false,
                    });
                    ks.available += 1;
                    if let Some(w) = ks.waiters.notify_one() {
                        wakers.push(w);
                    }
                    settled.push((done.resolve, JsValue::UNDEFINED));
                }
                (Op::Put { done, .. }, Err(e)) => settled.push((done.reject, e.clone())),
                (Op::Delete { key, seq, done, .. }, Ok(())) => {
                    let value = take_entry(&mut st, &key, seq);
                    completions.push((
                        done,
                        value.map(JsValue::from).ok_or_else(|| {
                            js::lindy_error(
                                codes::IO,
                                "IdbStore: a pulled entry vanished from memory",
                            )
                        }),
                    ));
                }
                // A delete that only failed alongside puts (a quota error is the puts' doing)
                // gets one more try in a transaction of its own.
                (
                    Op::Delete {
                        key,
                        seq,
                        done,
                        retried: false,
                    },
                    Err(_),
                ) if had_puts && st.db.is_some() => {
                    st.pending.push(Op::Delete {
                        key,
                        seq,
                        done,
                        retried: true,
                    });
                }
                (Op::Delete { key, seq, done, .. }, Err(e)) => {
                    // The entry stays (the delete did not happen): hand it back to the queue.
                    if let Some(ks) = st.keys.get_mut(&key) {
                        if let Some(entry) = ks.entries.iter_mut().find(|en| en.seq == seq) {
                            entry.reserved = false;
                            ks.available += 1;
                            if let Some(w) = ks.waiters.notify_one() {
                                wakers.push(w);
                            }
                        }
                    }
                    completions.push((done, Err(e.clone())));
                }
            }
        }
    }
    for (f, v) in settled {
        js::settle(&f, &v);
    }
    for (c, r) in completions {
        c.complete(r);
    }
    for w in wakers {
        w.wake();
    }
}

fn take_entry(st: &mut State, key: &str, seq: f64) -> Option<Uint8Array> {
    let ks = st.keys.get_mut(key)?;
    let at = ks.entries.iter().position(|e| e.seq == seq)?;
    let entry = ks.entries.remove(at)?;
    if ks.entries.is_empty() && ks.waiters.is_empty() {
        st.keys.remove(key);
    }
    Some(entry.value)
}

/// Waits until an entry of `key` can be reserved (the cancellable phase of `pull`).
struct Reserve {
    state: Shared,
    key: String,
    slot: WaiterSlot,
}

impl Future for Reserve {
    type Output = Result<Ticket, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut st = this.state.borrow_mut();
        if st.closed {
            if let Some(ks) = st.keys.get_mut(&this.key) {
                ks.waiters.remove(&mut this.slot);
            }
            return Poll::Ready(Err(closed_error(&st)));
        }
        if let Some(done) = reserve_locked(&mut st, &this.key) {
            if let Some(ks) = st.keys.get_mut(&this.key) {
                ks.waiters.remove(&mut this.slot);
            }
            let spawn = schedule(&mut st);
            drop(st);
            if spawn {
                spawn_flush(&this.state);
            }
            return Poll::Ready(Ok(Ticket(done)));
        }
        let ks = st.keys.entry(this.key.clone()).or_default();
        ks.waiters.register(&mut this.slot, cx.waker());
        Poll::Pending
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        if !self.slot.is_registered() {
            return;
        }
        let waker = {
            let mut st = self.state.borrow_mut();
            let Some(ks) = st.keys.get_mut(&self.key) else {
                return;
            };
            // Hand-on: a pull woken for an entry and then cancelled passes the wake-up on.
            let notified = ks.waiters.remove(&mut self.slot);
            let waker = if notified && ks.available > 0 {
                ks.waiters.notify_one()
            } else {
                None
            };
            if ks.entries.is_empty() && ks.waiters.is_empty() {
                st.keys.remove(&self.key);
            }
            waker
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The pull's second phase: an entry is reserved and its delete queued; resolves with the payload
/// once the delete commits. Not cancellable (the entry is already on its way out).
struct Ticket(Rc<Completion>);

impl Future for Ticket {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_take(cx.waker())
    }
}

/// Resolves once the flush task is idle (nothing queued or in flight).
struct Idle(Shared);

impl Future for Idle {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.0.borrow_mut();
        if !st.flushing {
            return Poll::Ready(());
        }
        st.idle_wakers.push(cx.waker().clone());
        Poll::Pending
    }
}
