//! Opening a store: the exclusive Web Lock, the IndexedDB connection (creating the schema on first
//! open), reading every queued entry back, and the connection's event handlers.

use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use hashbrown::HashMap;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest};

use super::lock::StoreLock;
use super::options::IdbStoreOptions;
use super::state::{mark_closed, Queue, Record, State};
use super::{io_error, no_indexeddb, IdbStore, DB_VERSION, OBJECT_STORE};
use crate::idb_sys;
use crate::{codes, js};

impl IdbStore {
    /// Opens the store on database `name` with `opts` (see [`IdbStore::open`]).
    ///
    /// # Cancel safety
    /// Dropping the future before it resolves leaves nothing held: the Web Lock (if acquired) is
    /// released when its guard drops, and the connection (if opened) is closed by the browser
    /// when the last reference to it goes.
    pub async fn open_with(name: &str, opts: IdbStoreOptions) -> Result<IdbStore, JsValue> {
        let fail = |e: JsValue| io_error(&format!("IndexedDB open of \"{name}\" failed"), &e);
        let factory = factory()?;
        // One handle per database (see `lock`): dropped, so released, if the open fails below.
        let lock = StoreLock::acquire(name, opts.lock_timeout_ms, &JsValue::UNDEFINED).await?;
        let request: IdbOpenDbRequest = factory.open_with_u32(name, DB_VERSION).map_err(fail)?;
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

        let (queue, next_seq, held_bytes) = match load(&db).await {
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
            queue,
            wakers: Vec::new(),
            free_wakers: Vec::new(),
            user_leases: HashMap::new(),
            lease_timer: None,
            next_seq,
            puts_in_flight: 0,
            held_bytes,
            pending: Vec::new(),
            flushing: false,
            closed: false,
            sealed: false,
            lost: None,
            idle_wakers: Vec::new(),
            fail_next: false,
            commits: 0,
            lock: Some(lock),
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
}

/// The global `indexedDB` (window or worker), or the "not available" error (Node.js).
pub(super) fn factory() -> Result<IdbFactory, JsValue> {
    let value = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map_err(|e| no_indexeddb(&e))?;
    value.dyn_into::<IdbFactory>().map_err(|v| no_indexeddb(&v))
}

/// Reads every record back: keys and values in one read-only transaction, both in key order.
pub(super) async fn load(db: &IdbDatabase) -> Result<(Queue, f64, f64), JsValue> {
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
    // In sequence order, so every key's FIFO order and the entries' ages (pattern-free here, but
    // kept for leases) come back as they were.
    let mut queue = Queue::new();
    let mut next_seq = 0.0f64;
    let mut held_bytes = 0.0f64;
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
        held_bytes += f64::from(value.length());
        // A fresh, unbounded engine refuses nothing. (What was stored under larger bounds is
        // all loaded: nothing on disk is dropped; pushes wait for room below the bounds.)
        let _ = queue.try_push(&key, Record { seq, value });
        next_seq = next_seq.max(seq + 1.0);
    }
    Ok((queue, next_seq, held_bytes))
}
