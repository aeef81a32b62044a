//! One store handle per database: an exclusive Web Lock (`navigator.locks`) named
//! `lindy.idb.<dbName>`, held from `open` until the store is closed.
//!
//! Why: the in-memory queue mirrors what is committed, so two handles on one database (two tabs,
//! or two `open`s in one tab) would each allocate sequence numbers and pull entries the other
//! does not know about — overwrites and duplicate deliveries. Web Locks are shared by every tab
//! and worker of an origin, and the browser releases a lock when its holder's page or worker
//! dies, so a crashed tab never leaves the database locked.
//!
//! A second `open` waits up to `lockTimeoutMs` (default [`DEFAULT_LOCK_TIMEOUT_MS`]) for the
//! lock, then fails with `STORE_LOCKED`; `lockTimeoutMs: 0` fails at once. Tabs that all need
//! the queue should share one store through the fan-out leader module (`lindy/fanout`'s
//! `openSharedQueue`), which elects the one tab that opens it.

use alloc::format;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::{codes, js};

/// How long a second `open` waits for the database's lock by default (ms): long enough for a
/// reloading page or a dying leader tab to let go, short enough that two handles in one tab fail
/// clearly instead of hanging.
pub const DEFAULT_LOCK_TIMEOUT_MS: f64 = 5_000.0;

#[wasm_bindgen(inline_js = r#"
export function acquireLock(name, timeoutMs, signal) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.request !== "function") {
    return { promise: Promise.reject("unavailable"), cancel() {} };
  }
  let release;
  const held = new Promise((r) => { release = r; });
  let granted = false;
  let cancelled = false;
  let why = "timeout";
  const ctl = new AbortController();
  const options = { mode: "exclusive" };
  let timer;
  const onAbort = () => { why = "aborted"; ctl.abort(); };
  if (timeoutMs === 0) {
    options.ifAvailable = true; // (the Web Locks API refuses a signal together with ifAvailable)
  } else {
    timer = setTimeout(() => ctl.abort(), timeoutMs);
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
    options.signal = ctl.signal;
  }
  const done = () => {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", onAbort);
  };
  const promise = new Promise((resolve, reject) => {
    locks.request(name, options, (lock) => {
      done();
      if (cancelled) return undefined; // the open was abandoned: let go at once
      if (lock === null) { reject("timeout"); return undefined; }
      granted = true;
      resolve(release);
      return held;
    }).catch(() => {
      done();
      reject(why);
    });
  });
  return {
    promise,
    // The Rust future was dropped: stop waiting, or let go of a lock granted meanwhile.
    cancel() {
      cancelled = true;
      ctl.abort();
      if (granted) release();
    },
  };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = acquireLock)]
    fn acquire_lock(name: &str, timeout_ms: f64, signal: &JsValue) -> JsValue;
}

/// The pending request's `cancel()`, called if the waiting future is dropped.
struct CancelOnDrop(Option<JsValue>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(request) = self.0.take() {
            if let Ok(cancel) = js_sys::Reflect::get(&request, &JsValue::from_str("cancel")) {
                if let Some(f) = cancel.dyn_ref::<Function>() {
                    let _ = f.call0(&request);
                }
            }
        }
    }
}

/// A held database lock; released by [`release`](Self::release) or when dropped.
pub(super) struct StoreLock {
    release: Option<Function>,
}

impl StoreLock {
    /// Takes the exclusive lock of database `db_name`, waiting up to `timeout_ms` (0: only if
    /// free now). `signal` (an `AbortSignal` or `undefined`) gives up the wait with `ABORTED`.
    ///
    /// # Cancel safety
    /// Dropped while waiting, the lock request is withdrawn; a lock granted in the meantime is let
    /// go at once.
    pub(super) async fn acquire(
        db_name: &str,
        timeout_ms: f64,
        signal: &JsValue,
    ) -> Result<StoreLock, JsValue> {
        let name = format!("lindy.idb.{db_name}");
        let request = acquire_lock(&name, timeout_ms, signal);
        let promise: Promise = js_sys::Reflect::get(&request, &JsValue::from_str("promise"))
            .map(JsCast::unchecked_into)
            .unwrap_or_else(|_| Promise::reject(&JsValue::from_str("unavailable")));
        // Cancel-safe: dropped while waiting, the request is withdrawn (or the lock let go).
        let mut guard = CancelOnDrop(Some(request));
        let outcome = JsFuture::from(promise).await;
        guard.0 = None;
        match outcome {
            Ok(release) => Ok(StoreLock {
                release: release.dyn_into::<Function>().ok(),
            }),
            Err(why) => Err(match why.as_string().as_deref() {
                Some("unavailable") => js::lindy_error(
                    codes::IO,
                    &format!(
                        "IdbStore.open(\"{db_name}\"): the Web Locks API (navigator.locks) is not available here; IdbStore needs it to guarantee one handle per database (a secure context: https or localhost)"
                    ),
                ),
                Some("aborted") => js::lindy_error(
                    codes::ABORTED,
                    &format!("IdbStore.open(\"{db_name}\"): aborted while waiting for the database's lock"),
                ),
                _ => js::lindy_error(
                    crate::codes::STORE_LOCKED,
                    &format!(
                        "IdbStore.open(\"{db_name}\"): the database is open in another handle (this or another tab or worker) and was not closed within {} ms; one handle per database: share it across tabs with lindy/fanout's openSharedQueue",
                        js::number_string(&JsValue::from_f64(timeout_ms))
                    ),
                ),
            }),
        }
    }

    /// Lets the next `open` in (idempotent).
    pub(super) fn release(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        self.release();
    }
}
