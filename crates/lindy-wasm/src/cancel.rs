//! Cancelling a wait from JS: an `AbortSignal`, a `timeoutMs`, or both.
//!
//! [`WaitOptions`] parses `{ signal, timeoutMs }`; [`Cancellable`] wraps a core future so it ends
//! with `ABORTED` or `TIMEOUT` when either fires. The inner future is always polled *first*: if
//! the value is ready in the same turn as the abort, the value wins and nothing is lost. When a
//! cancellation wins, the inner future is dropped, which is how every lindy wait is cancelled —
//! the core's waits are cancel-safe (a dropped, already-woken waiter hands its wake-up on).

use alloc::format;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use js_sys::Object;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use super::js;
use crate::codes;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = globalThis, js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_namespace = globalThis, js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// The `{ signal, timeoutMs }` options of a wait.
#[derive(Clone, Default)]
pub struct WaitOptions {
    /// Cancels the wait with `ABORTED` when it fires.
    pub signal: Option<AbortSignal>,
    /// Cancels the wait with `TIMEOUT` after this many milliseconds.
    pub timeout_ms: Option<f64>,
}

impl WaitOptions {
    /// Parses the options argument of `what` (e.g. `"take(key, options)"`): `undefined`/`null`, or
    /// an object whose `signal` is an `AbortSignal` and `timeoutMs` a non-negative number.
    pub fn parse(value: &JsValue, what: &str) -> Result<WaitOptions, JsValue> {
        Self::parse_with(value, what, &[])
    }

    /// [`parse`](Self::parse) for a method whose options object also carries `extra` fields
    /// (e.g. `leaseMs`), which the caller reads itself; any other field is `INVALID_CONFIG`.
    pub fn parse_with(value: &JsValue, what: &str, extra: &[&str]) -> Result<WaitOptions, JsValue> {
        // The common case (no options) formats nothing.
        if value.is_undefined() || value.is_null() {
            return Ok(WaitOptions::default());
        }
        let Some(obj) = js::options(value, &format!("{what}: options"))? else {
            return Ok(WaitOptions::default());
        };
        let mut known = alloc::vec!["signal", "timeoutMs"];
        known.extend_from_slice(extra);
        js::known_options(&obj, &format!("{what}: options"), &known)?;
        Self::from_object(&obj, what)
    }

    /// Reads `signal` and `timeoutMs` from an options object already checked to be an object.
    pub fn from_object(obj: &Object, what: &str) -> Result<WaitOptions, JsValue> {
        let signal = js::field(obj, "signal")?;
        let signal = if signal.is_undefined() || signal.is_null() {
            None
        } else {
            Some(signal.dyn_into::<AbortSignal>().map_err(|v| {
                js::type_error(&format!(
                    "{what}: options.signal must be an AbortSignal, got {}",
                    js::describe(&v)
                ))
            })?)
        };
        let timeout_ms = js::opt_millis(
            &js::field(obj, "timeoutMs")?,
            &format!("{what}: options.timeoutMs"),
        )?;
        Ok(WaitOptions { signal, timeout_ms })
    }

    /// The error for a signal that already fired, before anything was attempted.
    pub fn check_aborted(&self) -> Result<(), JsValue> {
        match &self.signal {
            Some(signal) if signal.aborted() => Err(aborted(signal)),
            _ => Ok(()),
        }
    }

    /// True when neither a signal nor a timeout is set.
    pub fn is_empty(&self) -> bool {
        self.signal.is_none() && self.timeout_ms.is_none()
    }
}

/// The error for a fired signal, with the signal's `reason` as its `.cause`: `TIMEOUT` when the
/// reason is a `TimeoutError` (what `AbortSignal.timeout()` fires with), else `ABORTED`.
pub fn aborted(signal: &AbortSignal) -> JsValue {
    let reason = signal.reason();
    let is_timeout = reason.is_object()
        && js::field(reason.unchecked_ref(), "name")
            .ok()
            .and_then(|n| n.as_string())
            .is_some_and(|n| n == "TimeoutError");
    if is_timeout {
        return js::lindy_error_caused(
            codes::TIMEOUT,
            "the wait timed out (its AbortSignal's timeout fired); nothing was taken",
            &reason,
        );
    }
    js::lindy_error_caused(
        codes::ABORTED,
        "the wait was aborted by its AbortSignal; nothing was taken",
        &reason,
    )
}

/// The `TIMEOUT` error.
pub fn timed_out(ms: f64) -> JsValue {
    js::lindy_error(
        codes::TIMEOUT,
        &format!(
            "the wait timed out after {} ms; nothing was taken",
            js::number_string(&JsValue::from_f64(ms))
        ),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fired {
    No,
    Aborted,
    TimedOut,
}

struct Shared {
    fired: Cell<Fired>,
    waker: RefCell<Option<Waker>>,
}

impl Shared {
    fn fire(&self, what: Fired) {
        if self.fired.get() == Fired::No {
            self.fired.set(what);
        }
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// A cancellation trigger armed on an `AbortSignal` and/or a timer; disarmed on drop (the
/// listener is removed and the timer cleared, so a finished wait leaves nothing behind).
pub struct Trigger {
    shared: Rc<Shared>,
    signal: Option<(AbortSignal, Closure<dyn FnMut()>)>,
    timer: Option<(JsValue, Closure<dyn FnMut()>)>,
    opts: WaitOptions,
}

impl Trigger {
    /// Arms the trigger (does nothing for empty options).
    pub fn arm(opts: &WaitOptions) -> Trigger {
        let shared = Rc::new(Shared {
            fired: Cell::new(Fired::No),
            waker: RefCell::new(None),
        });
        let signal = opts.signal.as_ref().map(|signal| {
            let s = shared.clone();
            let cb = Closure::<dyn FnMut()>::new(move || s.fire(Fired::Aborted));
            let _ = signal.add_event_listener_with_callback("abort", cb.as_ref().unchecked_ref());
            if signal.aborted() {
                shared.fired.set(Fired::Aborted);
            }
            (signal.clone(), cb)
        });
        let timer = opts.timeout_ms.map(|ms| {
            let s = shared.clone();
            let cb = Closure::<dyn FnMut()>::new(move || s.fire(Fired::TimedOut));
            let id = set_timeout(cb.as_ref().unchecked_ref(), ms);
            (id, cb)
        });
        Trigger {
            shared,
            signal,
            timer,
            opts: opts.clone(),
        }
    }

    /// The cancellation error if the trigger fired; otherwise registers `waker` to be woken when
    /// it does.
    pub fn poll_fired(&self, waker: &Waker) -> Option<JsValue> {
        match self.shared.fired.get() {
            Fired::No => {
                *self.shared.waker.borrow_mut() = Some(waker.clone());
                None
            }
            Fired::Aborted => Some(match &self.opts.signal {
                Some(signal) => aborted(signal),
                None => js::lindy_error(codes::ABORTED, "aborted"),
            }),
            Fired::TimedOut => Some(timed_out(self.opts.timeout_ms.unwrap_or(0.0))),
        }
    }

    /// True once the signal fired or the timer ran out.
    pub fn fired(&self) -> bool {
        self.shared.fired.get() != Fired::No
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        if let Some((signal, cb)) = &self.signal {
            let _ =
                signal.remove_event_listener_with_callback("abort", cb.as_ref().unchecked_ref());
        }
        if let Some((id, _)) = &self.timer {
            clear_timeout(id);
        }
    }
}

/// A future that ends with the inner future's output, or with the cancellation error when the
/// signal or the timeout fires first. The inner future is polled first on every poll, so a value
/// that is ready wins over a cancellation in the same turn.
///
/// # Cancel safety
/// As the inner future's: dropping it drops the inner future and disarms the trigger (the
/// abort listener and the timer are removed).
pub struct Cancellable<F> {
    inner: Pin<alloc::boxed::Box<F>>,
    trigger: Option<Trigger>,
}

impl<F: Future> Cancellable<F> {
    /// Wraps `inner`; with empty options it simply forwards.
    pub fn new(inner: F, opts: &WaitOptions) -> Self {
        let trigger = (!opts.is_empty()).then(|| Trigger::arm(opts));
        Cancellable {
            inner: alloc::boxed::Box::pin(inner),
            trigger,
        }
    }
}

impl<F: Future> Future for Cancellable<F> {
    type Output = Result<F::Output, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(out) = self.inner.as_mut().poll(cx) {
            self.trigger = None;
            return Poll::Ready(Ok(out));
        }
        match &self.trigger {
            Some(trigger) => match trigger.poll_fired(cx.waker()) {
                Some(err) => {
                    self.trigger = None;
                    Poll::Ready(Err(err))
                }
                None => Poll::Pending,
            },
            None => Poll::Pending,
        }
    }
}
