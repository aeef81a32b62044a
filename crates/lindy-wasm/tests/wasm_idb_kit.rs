//! The conformance kit (`lindy::testkit`) against `IdbStore` on real IndexedDB in headless
//! Chromium (`make wasm-test`): the same cases the memory and file backends run. Prints the
//! report (`kit[idb]: N passed, 0 failed, M not applicable`).
#![cfg(target_arch = "wasm32")]

mod wasm_support;

use js_sys::Uint8Array;
use lindy::testkit::{run, Capabilities, Harness, KitError, KitLease, Options, Queue};
use lindy_wasm::{IdbStore, IdbStoreOptions};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A JS error as the kit sees it: its `.code` and message.
fn kit_err(e: JsValue) -> KitError {
    let code = code(&e);
    KitError::new(if code.is_empty() { "BACKEND" } else { &code }).detail(prop(&e, "message"))
}

fn bytes_of(v: &JsValue) -> Vec<u8> {
    Uint8Array::new(v).to_vec()
}

struct Idb {
    opened: u32,
}

struct IdbQueue {
    store: IdbStore,
    name: String,
}

impl Harness for Idb {
    type Queue = IdbQueue;

    fn name(&self) -> &str {
        "idb"
    }

    fn capabilities(&self) -> Capabilities {
        // No put-at-the-head (a durable store's order is its sequence numbers), no pattern take,
        // no dead-letter rule and no bounds on IdbStore.
        Capabilities {
            waits: true,
            leases: true,
            durable: true,
            ..Capabilities::NONE
        }
    }

    async fn open(&mut self, _options: &Options) -> Result<IdbQueue, KitError> {
        self.opened += 1;
        let name = format!("lindy-kit-{}", self.opened);
        settle(IdbStore::delete_database(JsValue::from_str(&name)))
            .await
            .map_err(kit_err)?;
        let store = IdbStore::open_with(&name, IdbStoreOptions::default())
            .await
            .map_err(kit_err)?;
        Ok(IdbQueue { store, name })
    }

    async fn reopen(&mut self, queue: IdbQueue, _options: &Options) -> Result<IdbQueue, KitError> {
        // As a dead tab leaves it: nothing acknowledged on the way out; the database is let go.
        settle(queue.store.close()).await.map_err(kit_err)?;
        let store = IdbStore::open_with(&queue.name, IdbStoreOptions::default())
            .await
            .map_err(kit_err)?;
        Ok(IdbQueue {
            store,
            name: queue.name,
        })
    }
}

impl Queue for IdbQueue {
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        let bytes: JsValue = Uint8Array::from(&value[..]).into();
        settle(self.store.push(JsValue::from_str(key), bytes))
            .await
            .map(drop)
            // Refused: the store kept nothing, so the value is the caller's again.
            .map_err(|e| KitError::with_value(&code(&e), value))
    }

    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
        let got = settle(self.store.try_pull(JsValue::from_str(key)))
            .await
            .map_err(kit_err)?;
        Ok((!got.is_undefined()).then(|| bytes_of(&got)))
    }

    async fn len(&self, key: &str) -> Result<usize, KitError> {
        self.store
            .len(JsValue::from_str(key))
            .map(|n| n as usize)
            .map_err(kit_err)
    }

    async fn close(&self) -> Result<(), KitError> {
        // The kit's close is the close rule (drain after close); `close()` also lets go of the
        // database, which `reopen` does.
        self.store.seal();
        Ok(())
    }

    async fn advance(&self, ms: u64) {
        // Real time: the store's lease timer fires on its own.
        sleep(ms as i32 + 30).await;
    }

    async fn sleep(&self, ms: u64) {
        sleep(ms as i32).await;
    }

    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        self.store
            .pull_async(key)
            .await
            .map(|v| bytes_of(&v))
            .map_err(kit_err)
    }

    async fn try_take_leased(
        &self,
        key: &str,
        lease_ms: u64,
    ) -> Result<Option<KitLease>, KitError> {
        let got = self
            .store
            .try_pull_leased(JsValue::from_str(key), JsValue::from_f64(lease_ms as f64))
            .map_err(kit_err)?;
        if got.is_undefined() {
            return Ok(None);
        }
        let field = |n: &str| js_sys::Reflect::get(&got, &JsValue::from_str(n)).unwrap_or_default();
        Ok(Some(KitLease {
            id: field("lease").as_f64().unwrap_or(-1.0) as u64,
            value: bytes_of(&field("value")),
            deliveries: field("deliveries").as_f64().unwrap_or(0.0) as u32,
        }))
    }

    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        settle(self.store.ack(JsValue::from_f64(lease as f64)))
            .await
            .map(drop)
            .map_err(kit_err)
    }

    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        self.store
            .nack(JsValue::from_f64(lease as f64))
            .map_err(kit_err)
    }

    async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
        self.store
            .extend(
                JsValue::from_f64(lease as f64),
                JsValue::from_f64(lease_ms as f64),
            )
            .map(drop)
            .map_err(kit_err)
    }
}

#[wasm_bindgen_test]
async fn the_conformance_kit_passes_on_indexeddb() {
    let report = run(&mut Idb { opened: 0 }).await;
    console_log!("{report}");
    assert!(report.ok(), "{report}");
    assert!(report.passed.len() >= 18, "{report}");
}
