//! `Manager` for JS: channel lifecycle ([`lindy::channels`]) with `Date.now()` as the clock and
//! events as an async iterator.

use alloc::boxed::Box;
use alloc::format;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use futures_core::Stream;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::grammar::{name_arg, pattern_arg};
use super::iter::LindyIterator;
use super::js;
use lindy::channels::{self as ch, Channel, Event, Subscription};

/// Event queue capacity of `events()` when none is given.
const DEFAULT_EVENT_CAPACITY: usize = 256;

fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now > 0.0 {
        now as u64
    } else {
        0
    }
}

fn channel_object(c: &Channel) -> JsValue {
    let o = Object::new();
    js::set(&o, "name", &JsValue::from_str(c.name.as_str()));
    js::set(&o, "state", &JsValue::from_str(c.state.as_str()));
    js::set(
        &o,
        "visibility",
        &JsValue::from_str(c.name.visibility().as_str()),
    );
    js::set(&o, "ttlMs", &JsValue::from_f64(c.ttl_ms() as f64));
    js::set(&o, "createdAt", &JsValue::from_f64(c.created_at as f64));
    js::set(&o, "lastActive", &JsValue::from_f64(c.last_active as f64));
    let expires = c
        .expires_at()
        .map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
    js::set(&o, "expiresAt", &expires);
    js::set(&o, "delta", &JsValue::from_bool(c.delta));
    o.into()
}

fn event_object(e: &Event, missed: u64) -> JsValue {
    let o = Object::new();
    js::set(&o, "kind", &JsValue::from_str(e.kind.as_str()));
    js::set(&o, "name", &JsValue::from_str(e.name.as_str()));
    js::set(&o, "at", &JsValue::from_f64(e.at as f64));
    js::set(&o, "missed", &JsValue::from_f64(missed as f64));
    o.into()
}

/// An optional TTL in whole milliseconds (`undefined` → the default for the visibility).
fn ttl_arg(value: &JsValue, what: &str) -> Result<Option<Duration>, JsValue> {
    Ok(js::opt_integer(value, what, 0.0, 9_007_199_254_740_991.0)?
        .map(|ms| Duration::from_millis(ms as u64)))
}

/// Channel lifecycle: public and private channels, TTLs, sweeps and events. The clock is
/// `Date.now()`; nothing expires between sweeps (`sweep()`, `nextDeadline`).
#[wasm_bindgen]
pub struct Manager {
    inner: ch::Manager,
}

impl Default for Manager {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Manager {
    /// An empty manager with the `Date.now()` clock.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Manager {
        Manager {
            inner: ch::Manager::with_clock(now_ms),
        }
    }

    /// Opens (or refreshes, or re-opens) a public channel; `ttlMs` defaults to 30 minutes.
    #[wasm_bindgen(js_name = openPublic, unchecked_return_type = "ChannelInfo")]
    pub fn open_public(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
        #[wasm_bindgen(js_name = ttlMs, unchecked_optional_param_type = "number")] ttl_ms: JsValue,
    ) -> Result<JsValue, JsValue> {
        let name = name_arg(&name, "Manager.openPublic: name")?;
        let ttl = ttl_arg(&ttl_ms, "Manager.openPublic: ttlMs")?;
        self.inner
            .open_public(&name, ttl)
            .map(|c| channel_object(&c))
            .map_err(|e| js::from_code_in("Manager.openPublic", &e))
    }

    /// Creates a private channel (`CHANNEL_EXISTS` if the name is taken); `ttlMs` defaults to 15
    /// minutes and may not exceed 1 hour (`CHANNEL_TTL_EXCEEDS_MAX`).
    #[wasm_bindgen(js_name = createPrivate, unchecked_return_type = "ChannelInfo")]
    pub fn create_private(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
        #[wasm_bindgen(js_name = ttlMs, unchecked_optional_param_type = "number")] ttl_ms: JsValue,
    ) -> Result<JsValue, JsValue> {
        let name = name_arg(&name, "Manager.createPrivate: name")?;
        let ttl = ttl_arg(&ttl_ms, "Manager.createPrivate: ttlMs")?;
        self.inner
            .create_private(&name, ttl)
            .map(|c| channel_object(&c))
            .map_err(|e| js::from_code_in("Manager.createPrivate", &e))
    }

    /// Marks an open channel active now (`CHANNEL_CLOSED` if closed, `CHANNEL_NOT_FOUND`).
    pub fn touch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<(), JsValue> {
        let name = name_arg(&name, "Manager.touch: name")?;
        self.inner
            .touch(&name)
            .map_err(|e| js::from_code_in("Manager.touch", &e))
    }

    /// Deletes a channel (emits `deleted`); deleting it again is a quiet no-op.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<(), JsValue> {
        let name = name_arg(&name, "Manager.delete: name")?;
        self.inner
            .delete(&name)
            .map_err(|e| js::from_code_in("Manager.delete", &e))
    }

    /// The channel's record (`CHANNEL_NOT_FOUND` if there is none, or it was deleted).
    #[wasm_bindgen(unchecked_return_type = "ChannelInfo")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<JsValue, JsValue> {
        let name = name_arg(&name, "Manager.get: name")?;
        self.inner
            .get(&name)
            .map(|c| channel_object(&c))
            .map_err(|e| js::from_code_in("Manager.get", &e))
    }

    /// Every live channel (open or closed).
    #[wasm_bindgen(unchecked_return_type = "ChannelInfo[]")]
    pub fn list(&self) -> Array {
        self.inner.list().iter().map(channel_object).collect()
    }

    /// How many live channels there are.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Whether the channel exists and is open.
    #[wasm_bindgen(js_name = isOpen)]
    pub fn is_open(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<bool, JsValue> {
        let name = name_arg(&name, "Manager.isOpen: name")?;
        Ok(self.inner.is_open(&name))
    }

    /// Turns the channel's delta flag on or off (`CHANNEL_NOT_FOUND`).
    #[wasm_bindgen(js_name = setDelta)]
    pub fn set_delta(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "boolean")] enabled: JsValue,
    ) -> Result<(), JsValue> {
        let name = name_arg(&name, "Manager.setDelta: name")?;
        let enabled = enabled.as_bool().ok_or_else(|| {
            js::type_error(&format!(
                "Manager.setDelta: enabled must be a boolean, got {}",
                js::describe(&enabled)
            ))
        })?;
        self.inner
            .set_delta(&name, enabled)
            .map_err(|e| js::from_code_in("Manager.setDelta", &e))
    }

    /// Expires every channel whose TTL has run out by now; returns how many.
    pub fn sweep(&self) -> u32 {
        self.inner.handle_timeout_now() as u32
    }

    /// When (epoch ms) the next channel expires, or `undefined` if none will.
    #[wasm_bindgen(getter, js_name = nextDeadline, unchecked_return_type = "number | undefined")]
    pub fn next_deadline(&self) -> JsValue {
        self.inner
            .poll_timeout()
            .map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64))
    }

    /// Lifecycle events as an async iterator of `{ kind, name, at, missed }`, optionally only
    /// for names matching `pattern`. A consumer that falls behind by more than `capacity`
    /// (default 256) misses the newest events; `missed` counts them.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<ChannelEvent>")]
    pub fn events(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "EventsOptions")] options: JsValue,
    ) -> Result<LindyIterator, JsValue> {
        let mut capacity = DEFAULT_EVENT_CAPACITY;
        let mut pattern = None;
        if let Some(obj) = js::options(&options, "Manager.events: options")? {
            js::known_options(&obj, "Manager.events: options", &["capacity", "pattern"])?;
            if let Some(c) = js::opt_integer(
                &js::field(&obj, "capacity")?,
                "Manager.events: options.capacity",
                1.0,
                1_048_576.0,
            )? {
                capacity = c as usize;
            }
            let p = js::field(&obj, "pattern")?;
            if !p.is_undefined() {
                pattern = Some(pattern_arg(&p, "Manager.events: options.pattern")?);
            }
        }
        let sub = match &pattern {
            Some(p) => self.inner.subscribe_matching(p, capacity),
            None => self.inner.subscribe(capacity),
        };
        Ok(LindyIterator::new(Box::pin(Events(sub))))
    }
}

/// A subscription as a stream of event objects.
struct Events(Subscription);

impl Stream for Events {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let sub = &mut self.get_mut().0;
        Pin::new(&mut *sub)
            .poll_next(cx)
            .map(|e| e.map(|e| Ok(event_object(&e, sub.missed()))))
    }
}
