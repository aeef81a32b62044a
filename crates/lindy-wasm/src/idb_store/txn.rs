//! One readwrite transaction holding a batch of puts and deletes (the unit of group commit).

use alloc::vec::Vec;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbKeyRange, IdbTransaction};

use super::options::Durability;
use super::state::Op;
use super::{io_error, OBJECT_STORE};
use crate::idb_sys;

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

/// Runs one readwrite transaction with every op's request; awaits only its completion.
pub(super) async fn run_transaction(
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
