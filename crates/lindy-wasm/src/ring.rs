//! `Ring` for JS: a bounded FIFO of JS values with a capacity chosen at run time
//! ([`lindy::ring::LockingHeapRing`]); `push` waits for room, `pop` for a value.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;
use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::cancel::{Cancellable, WaitOptions};
use super::iter::LindyIterator;
use super::js;
use crate::codes;
use lindy::ring::{LockingHeapRing, TryPushError, TryTakeError};

/// The largest capacity accepted from JS.
const MAX_CAPACITY: f64 = 16_777_216.0;

type Inner = Rc<LockingHeapRing<JsValue>>;

fn value_arg(value: JsValue, what: &str) -> Result<JsValue, JsValue> {
    if value.is_undefined() {
        return Err(js::type_error(&format!(
            "{what} must not be undefined (tryTake/take use undefined for \"nothing\"); push null instead"
        )));
    }
    Ok(value)
}

fn closed(what: &str) -> JsValue {
    js::lindy_error(codes::CLOSED, &format!("{what}: the ring is closed"))
}

/// A bounded FIFO of JS values. A full ring refuses (`tryPush` → `false`) or makes `push` wait;
/// after `close()`, pushes fail with `CLOSED` and pops drain what is left, then see `undefined`.
#[wasm_bindgen]
pub struct Ring {
    inner: Inner,
}

#[wasm_bindgen]
impl Ring {
    /// A ring holding up to `capacity` values (an integer from 1 to 16 777 216).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "number")] capacity: JsValue,
    ) -> Result<Ring, JsValue> {
        let n = js::integer(&capacity, "new Ring: capacity", 1.0, MAX_CAPACITY)?;
        // `n` is in range, so the only failure left is wasm memory that cannot grow for the
        // slots: `OUT_OF_MEMORY`, the same code as every other surface's exhaustion.
        let ring = LockingHeapRing::with_capacity(n as usize).map_err(|e| match e {
            lindy::ring::CapacityError::TooLarge { .. } => {
                js::out_of_memory("new Ring", n as usize * core::mem::size_of::<JsValue>())
            }
            other => js::from_code(&other),
        })?;
        Ok(Ring {
            inner: Rc::new(ring),
        })
    }

    /// Appends `value` if there is room: `true` if pushed, `false` if the ring is full (nothing
    /// pushed). Throws `CLOSED` after `close()`.
    #[wasm_bindgen(js_name = tryPush)]
    pub fn try_push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<bool, JsValue> {
        let value = value_arg(value, "Ring.tryPush: value")?;
        match self.inner.try_push(value) {
            Ok(()) => Ok(true),
            Err(TryPushError::Full(_)) => Ok(false),
            Err(TryPushError::Closed(_)) => Err(closed("Ring.tryPush")),
        }
    }

    /// Removes and returns the oldest value, or `undefined` if the ring is empty.
    #[wasm_bindgen(js_name = tryPop, unchecked_return_type = "unknown")]
    pub fn try_pop(&self) -> JsValue {
        match self.inner.try_take() {
            Ok(v) => v,
            Err(TryTakeError::Empty | TryTakeError::Closed) => JsValue::UNDEFINED,
        }
    }

    /// Appends `value`, waiting for room. Rejects with `CLOSED` (also if closed while waiting),
    /// `ABORTED`/`TIMEOUT` when cancelled — the value was then not pushed.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = value_arg(value, "Ring.push: value").and_then(|v| {
            let opts = WaitOptions::parse(&options, "Ring.push")?;
            opts.check_aborted()?;
            Ok((v, opts))
        });
        let (value, opts) = match prepared {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        let value = match self.inner.try_push(value) {
            Ok(()) => return Promise::resolve(&JsValue::UNDEFINED),
            Err(TryPushError::Closed(_)) => return Promise::reject(&closed("Ring.push")),
            Err(TryPushError::Full(v)) => v,
        };
        let ring = self.inner.clone();
        js::spawn_promise(async move {
            let pushed = Cancellable::new(ring.push(value), &opts).await?;
            pushed
                .map(|()| JsValue::UNDEFINED)
                .map_err(|_| closed("Ring.push"))
        })
    }

    /// Removes and returns the oldest value, waiting for one; resolves `undefined` once the ring
    /// is closed and drained. `ABORTED`/`TIMEOUT` when cancelled — nothing was popped.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn pop(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let opts = match WaitOptions::parse(&options, "Ring.take")
            .and_then(|o| o.check_aborted().map(|()| o))
        {
            Ok(o) => o,
            Err(e) => return Promise::reject(&e),
        };
        match self.inner.try_take() {
            Ok(v) => return Promise::resolve(&v),
            Err(TryTakeError::Closed) => return Promise::resolve(&JsValue::UNDEFINED),
            Err(TryTakeError::Empty) => {}
        }
        let ring = self.inner.clone();
        js::spawn_promise(async move {
            let popped = Cancellable::new(ring.take(), &opts).await?;
            Ok(popped.unwrap_or(JsValue::UNDEFINED))
        })
    }

    /// Closes the ring: waiting pushes reject with `CLOSED`, waiting pops resolve `undefined`
    /// once it is drained. Returns `true` the first time.
    pub fn close(&self) -> bool {
        self.inner.close()
    }

    /// Whether `close()` was called.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Values held now.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// The most values the ring holds.
    #[wasm_bindgen(getter)]
    pub fn capacity(&self) -> u32 {
        self.inner.capacity() as u32
    }

    /// Pops until the ring is closed and drained: `for await (const v of ring)`.
    #[wasm_bindgen(
        js_name = "[Symbol.asyncIterator]",
        unchecked_return_type = "AsyncIterableIterator<unknown>"
    )]
    pub fn async_iterator(&self) -> LindyIterator {
        LindyIterator::new(Box::pin(Pops {
            ring: self.inner.clone(),
            wait: None,
        }))
    }
}

type PendingPop = Pin<Box<dyn core::future::Future<Output = Option<JsValue>>>>;

/// The ring as a stream of popped values; one `pop` at a time, made when asked for.
struct Pops {
    ring: Inner,
    wait: Option<PendingPop>,
}

impl Stream for Pops {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let wait = this.wait.get_or_insert_with(|| {
            let ring = this.ring.clone();
            Box::pin(async move { ring.take().await })
        });
        match wait.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(v) => {
                this.wait = None;
                Poll::Ready(v.map(Ok))
            }
        }
    }
}
