//! `LindyIterator`: one JS async iterator class over any Rust [`Stream`] of JS values.
//!
//! `for await (const x of it)` calls `next()` until `{ done: true }`; `break` calls `return()`,
//! which drops the Rust stream (a subscription, a reader, a take loop) at once. The stream is
//! moved out of the shared cell while a `next()` is in flight, so no `RefCell` borrow is ever
//! held across an `.await`; a second `next()` before the first settled is refused with a
//! `TypeError` (`for await` never does that).

use alloc::boxed::Box;
use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::poll_fn;
use core::pin::Pin;

use futures_core::Stream;
use js_sys::{Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::js;

/// A boxed stream of JS values; an `Err` item rejects that `next()` and ends the iteration.
pub type JsStream = Pin<Box<dyn Stream<Item = Result<JsValue, JsValue>>>>;

enum Slot {
    /// Idle, holding the stream.
    Ready(JsStream),
    /// A `next()` has the stream.
    Busy,
    /// Ended or returned.
    Done,
}

/// An async iterator (`for await`), returned by `Space.takeEach`, `Manager.events` and
/// `StreamReader`. Call `return()` (or `break` out of the loop) to stop early and release what
/// it holds.
#[wasm_bindgen]
pub struct LindyIterator {
    slot: Rc<RefCell<Slot>>,
}

/// `{ value, done }`.
pub fn iter_result(value: &JsValue, done: bool) -> JsValue {
    let o = Object::new();
    js::set(&o, "value", value);
    js::set(&o, "done", &JsValue::from_bool(done));
    o.into()
}

impl LindyIterator {
    /// Wraps a stream.
    pub fn new(stream: JsStream) -> LindyIterator {
        LindyIterator {
            slot: Rc::new(RefCell::new(Slot::Ready(stream))),
        }
    }
}

#[wasm_bindgen]
impl LindyIterator {
    /// The next value: `{ value, done: false }`, or `{ value: undefined, done: true }` at the end.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<any, undefined>>")]
    pub fn next(&self) -> Promise {
        let taken = core::mem::replace(&mut *self.slot.borrow_mut(), Slot::Busy);
        let mut stream = match taken {
            Slot::Ready(s) => s,
            Slot::Busy => {
                return Promise::reject(&js::type_error(
                    "LindyIterator.next() called before the previous next() settled",
                ))
            }
            Slot::Done => {
                *self.slot.borrow_mut() = Slot::Done;
                return Promise::resolve(&iter_result(&JsValue::UNDEFINED, true));
            }
        };
        let slot = self.slot.clone();
        js::spawn_promise(async move {
            let item = poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
            let mut s = slot.borrow_mut();
            let keep = matches!(item, Some(Ok(_))) && matches!(*s, Slot::Busy);
            // `return()` during the wait leaves `Done`: the stream is dropped here either way.
            *s = if keep {
                Slot::Ready(stream)
            } else {
                Slot::Done
            };
            match item {
                Some(Ok(v)) => Ok(iter_result(&v, false)),
                Some(Err(e)) => Err(e),
                None => Ok(iter_result(&JsValue::UNDEFINED, true)),
            }
        })
    }

    /// Stops the iteration and releases the stream; resolves `{ value, done: true }`.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<any, undefined>>"
    )]
    pub fn return_(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "any")] value: JsValue,
    ) -> Promise {
        let old = core::mem::replace(&mut *self.slot.borrow_mut(), Slot::Done);
        drop(old);
        Promise::resolve(&iter_result(&value, true))
    }

    /// The iterator itself (sharing its state), so it works with `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn async_iterator(&self) -> LindyIterator {
        LindyIterator {
            slot: self.slot.clone(),
        }
    }
}
