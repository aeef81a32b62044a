//! Just enough IndexedDB-as-futures for [`IdbStore`](super::IdbStore), over web-sys.
//!
//! Why not the `idb` crate: it does the same job but brings tokio's oneshot, indexmap and a large
//! error enum (about 15 KB of gzipped wasm, a quarter of the package budget), and it cannot pass
//! the `durability` option of a transaction. What lindy needs is three futures — an open request,
//! a request, a transaction — each one event listener pair away.
//!
//! Each future removes its listeners when dropped, so a dropped future never leaves a closure
//! for IndexedDB to call.

use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{EventTarget, IdbRequest, IdbTransaction};

/// A one-shot result shared between an event handler (or the flush task) and a future.
#[derive(Default)]
pub(super) struct Completion {
    result: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

impl Completion {
    /// Stores the result (the first one wins) and wakes the waiting future.
    pub(super) fn complete(&self, result: Result<JsValue, JsValue>) {
        {
            let mut slot = self.result.borrow_mut();
            if slot.is_none() {
                *slot = Some(result);
            }
        }
        let waker = self.waker.borrow_mut().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Takes the result if there is one; otherwise registers `waker`.
    pub(super) fn poll_take(&self, waker: &Waker) -> Poll<Result<JsValue, JsValue>> {
        if let Some(result) = self.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        *self.waker.borrow_mut() = Some(waker.clone());
        Poll::Pending
    }
}

/// What the future waits on: decides how success and failure are read off the target.
#[derive(Clone, Copy)]
enum Kind {
    /// An `IDBRequest`: `success` → `request.result`, `error` → `request.error`.
    Request,
    /// An `IDBTransaction`: `complete` → `undefined`, `abort` → `transaction.error`.
    Transaction,
}

fn read_outcome(target: &JsValue, kind: Kind, ok: bool) -> Result<JsValue, JsValue> {
    match (kind, ok) {
        (Kind::Request, true) => target.unchecked_ref::<IdbRequest>().result(),
        (Kind::Request, false) => Err(target
            .unchecked_ref::<IdbRequest>()
            .error()
            .ok()
            .flatten()
            .map(JsValue::from)
            .unwrap_or_else(|| js_sys::Error::new("UnknownError: the request failed").into())),
        (Kind::Transaction, true) => Ok(JsValue::UNDEFINED),
        (Kind::Transaction, false) => Err(target
            .unchecked_ref::<IdbTransaction>()
            .error()
            .map(JsValue::from)
            .unwrap_or_else(|| {
                js_sys::Error::new("AbortError: the transaction was aborted").into()
            })),
    }
}

/// Resolves on the first of two events of an IndexedDB object.
pub(super) struct EventFuture {
    done: Rc<Completion>,
    target: EventTarget,
    events: [&'static str; 2],
    handlers: [Closure<dyn FnMut()>; 2],
}

impl EventFuture {
    fn new(target: &JsValue, kind: Kind, ok_event: &'static str, err_event: &'static str) -> Self {
        let done = Rc::new(Completion::default());
        let target: EventTarget = target.clone().unchecked_into();
        let handler = |ok: bool| {
            let done = done.clone();
            let t: JsValue = target.clone().into();
            Closure::<dyn FnMut()>::new(move || done.complete(read_outcome(&t, kind, ok)))
        };
        let handlers = [handler(true), handler(false)];
        let events = [ok_event, err_event];
        for (event, h) in events.iter().zip(handlers.iter()) {
            let _ = target.add_event_listener_with_callback(event, h.as_ref().unchecked_ref());
        }
        EventFuture {
            done,
            target,
            events,
            handlers,
        }
    }
}

impl Future for EventFuture {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.done.poll_take(cx.waker())
    }
}

impl Drop for EventFuture {
    fn drop(&mut self) {
        for (event, h) in self.events.iter().zip(self.handlers.iter()) {
            let _ = self
                .target
                .remove_event_listener_with_callback(event, h.as_ref().unchecked_ref());
        }
    }
}

/// Awaits an `IDBRequest` (or `IDBOpenDBRequest`): its `result`, or its `error`.
pub(super) fn request(req: &impl AsRef<JsValue>) -> EventFuture {
    EventFuture::new(req.as_ref(), Kind::Request, "success", "error")
}

/// Awaits an `IDBTransaction`: `Ok` once committed, `Err(transaction.error)` once aborted
/// (an unhandled request error aborts the transaction, so `abort` covers it too).
pub(super) fn transaction(tx: &IdbTransaction) -> EventFuture {
    EventFuture::new(tx, Kind::Transaction, "complete", "abort")
}
