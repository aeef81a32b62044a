//! `Space` for JS: the keyed tuple space ([`lindy::space::LocalSpace`]) holding any JS values.
//!
//! `take`/`read` resolve at once when an entry is there (no task is spawned: the fast path is a
//! lock-free map lookup and a resolved promise); otherwise they wait on the core's cancel-safe
//! futures, which `{ signal, timeoutMs }` cancel by dropping — an entry leaves the space only in
//! the poll that returns it, so a cancelled wait takes nothing and a woken-then-cancelled wait
//! hands its wake-up on.
//!
//! `undefined` cannot be stored: it is what `tryTake`/`tryRead` return for "nothing there".

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;
use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::cancel::{Cancellable, WaitOptions};
use super::grammar::pattern_arg;
use super::iter::LindyIterator;
use super::js;
use lindy::error::{codes, Closed};
use lindy::grammar::Name;
use lindy::space::LocalSpace;

/// Longest key accepted from JS, in UTF-8 bytes (the core takes any string; this guards memory).
pub const MAX_KEY_BYTES: usize = 4096;
/// Most entries one `takeMany` returns.
const MAX_BATCH: f64 = 1_048_576.0;

type Inner = Rc<LocalSpace<JsValue>>;

fn key_arg(value: &JsValue, what: &str) -> Result<String, JsValue> {
    // The core accepts any string as a key, the empty one too; so does JS.
    js::key_or_empty(value, what, MAX_KEY_BYTES)
}

fn value_arg(value: JsValue, what: &str) -> Result<JsValue, JsValue> {
    if value.is_undefined() {
        return Err(js::type_error(&format!(
            "{what} must not be undefined (tryTake/tryRead use undefined for \"nothing there\"); store null instead"
        )));
    }
    Ok(value)
}

fn closed(what: &str) -> JsValue {
    js::lindy_error(codes::CLOSED, &format!("{what}: the space is closed"))
}

fn pair(key: &Name, value: &JsValue) -> JsValue {
    let o = Object::new();
    js::set(&o, "key", &JsValue::from_str(key.as_str()));
    js::set(&o, "value", value);
    o.into()
}

/// A keyed tuple space of JS values: each key is a FIFO queue. `out` appends, `take` removes the
/// oldest entry (waiting for one), `read` returns it without removing it.
#[wasm_bindgen]
pub struct Space {
    inner: Inner,
}

impl Default for Space {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Space {
    /// An empty, open space.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Space {
        Space {
            inner: Rc::new(LocalSpace::new()),
        }
    }

    /// Appends `value` under `key`, waking that key's readers and its oldest taker. Throws
    /// `CLOSED` after `close()` (the value stays yours: nothing was stored).
    pub fn out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<(), JsValue> {
        let key = key_arg(&key, "Space.out: key")?;
        let value = value_arg(value, "Space.out: value")?;
        self.inner
            .out(&key, value)
            .map_err(|_: Closed<JsValue>| closed("Space.out"))
    }

    /// Appends every element of `values` under `key`, in order (one call for a batch). Throws
    /// `CLOSED` after `close()` before storing anything.
    #[wasm_bindgen(js_name = outMany)]
    pub fn out_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown[]")] values: JsValue,
    ) -> Result<(), JsValue> {
        let key = key_arg(&key, "Space.outMany: key")?;
        if !values.is_array() {
            return Err(js::type_error(&format!(
                "Space.outMany: values must be an array, got {}",
                js::describe(&values)
            )));
        }
        let values: Array = values.into();
        if values.iter().any(|v| v.is_undefined()) {
            return Err(value_arg(JsValue::UNDEFINED, "Space.outMany: values[i]")
                .err()
                .unwrap_or(JsValue::UNDEFINED));
        }
        if self.inner.is_closed() {
            return Err(closed("Space.outMany"));
        }
        for v in values.iter() {
            self.inner
                .out(&key, v)
                .map_err(|_: Closed<JsValue>| closed("Space.outMany"))?;
        }
        Ok(())
    }

    /// Removes and returns the oldest entry of `key`, waiting for one. Rejects with `CLOSED` once
    /// the space is closed (even if entries remain: drain them with `tryTake`), `ABORTED` or
    /// `TIMEOUT` when cancelled — and then nothing was taken.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn take(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        match self.wait_args(&key, &options, "Space.take", "Space.take: key") {
            Ok((key, opts)) => self.take_checked(key, opts),
            Err(e) => Promise::reject(&e),
        }
    }

    /// Returns the oldest entry of `key` without removing it, waiting for one (`CLOSED`,
    /// `ABORTED`, `TIMEOUT` as for `take`).
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        match self.wait_args(&key, &options, "Space.read", "Space.read: key") {
            Ok((key, opts)) => self.read_checked(key, opts),
            Err(e) => Promise::reject(&e),
        }
    }

    /// Removes and returns the oldest entry of `key`, or `undefined` if there is none. Never
    /// waits; serves entries after `close()` too, so a closed space can be drained.
    #[wasm_bindgen(js_name = tryTake, unchecked_return_type = "unknown")]
    pub fn try_take(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = key_arg(&key, "Space.tryTake: key")?;
        Ok(self.inner.try_take(&key).unwrap_or(JsValue::UNDEFINED))
    }

    /// Removes and returns up to `max` of the oldest entries of `key` (one call for a batch).
    #[wasm_bindgen(js_name = takeMany, unchecked_return_type = "unknown[]")]
    pub fn take_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] max: JsValue,
    ) -> Result<Array, JsValue> {
        let key = key_arg(&key, "Space.takeMany: key")?;
        let max = js::integer(&max, "Space.takeMany: max", 0.0, MAX_BATCH)? as u32;
        let out = Array::new();
        for _ in 0..max {
            match self.inner.try_take(&key) {
                Some(v) => {
                    out.push(&v);
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// The oldest entry of `key` without removing it, or `undefined`. Never waits.
    #[wasm_bindgen(js_name = tryRead, unchecked_return_type = "unknown")]
    pub fn try_read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = key_arg(&key, "Space.tryRead: key")?;
        Ok(self.inner.try_read(&key).unwrap_or(JsValue::UNDEFINED))
    }

    /// Takes the oldest entry (by `out` order) from any key that is a channel name matching
    /// `pattern`, waiting for one; resolves `{ key, value }`. Keys that are not channel names
    /// never match.
    #[wasm_bindgen(js_name = takeMatching, unchecked_return_type = "Promise<{ key: string; value: unknown }>")]
    pub fn take_matching(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Pattern | string")] pattern: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = pattern_arg(&pattern, "Space.takeMatching: pattern").and_then(|p| {
            let opts = WaitOptions::parse(&options, "Space.takeMatching")?;
            if self.inner.is_closed() {
                return Err(closed("Space.takeMatching"));
            }
            opts.check_aborted()?;
            Ok((p, opts))
        });
        let (pattern, opts) = match prepared {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        if let Some((k, v)) = self.inner.try_take_matching(&pattern) {
            return Promise::resolve(&pair(&k, &v));
        }
        let space = self.inner.clone();
        js::spawn_promise(async move {
            let taken = Cancellable::new(space.take_matching(&pattern), &opts).await?;
            taken
                .map(|(k, v)| pair(&k, &v))
                .map_err(|_| closed("Space.takeMatching"))
        })
    }

    /// `{ key, value }` of the oldest entry matching `pattern`, taken, or `undefined`.
    #[wasm_bindgen(js_name = tryTakeMatching, unchecked_return_type = "{ key: string; value: unknown } | undefined")]
    pub fn try_take_matching(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Pattern | string")] pattern: JsValue,
    ) -> Result<JsValue, JsValue> {
        let pattern = pattern_arg(&pattern, "Space.tryTakeMatching: pattern")?;
        Ok(self
            .inner
            .try_take_matching(&pattern)
            .map_or(JsValue::UNDEFINED, |(k, v)| pair(&k, &v)))
    }

    /// Every entry of `key` as it arrives: `for await (const job of space.takeEach("jobs"))`.
    /// Ends when the space is closed or `signal` fires; `break` stops taking. Each value is taken
    /// only when the loop asks for it, so stopping early leaves the rest in the space.
    #[wasm_bindgen(js_name = takeEach, unchecked_return_type = "AsyncIterableIterator<unknown>")]
    pub fn take_each(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "{ signal?: AbortSignal }")]
        options: JsValue,
    ) -> Result<LindyIterator, JsValue> {
        let key = key_arg(&key, "Space.takeEach: key")?;
        let opts = WaitOptions::parse(&options, "Space.takeEach")?;
        let opts = WaitOptions {
            signal: opts.signal,
            timeout_ms: None,
        };
        Ok(LindyIterator::new(Box::pin(TakeEach {
            space: self.inner.clone(),
            key,
            opts,
            wait: None,
        })))
    }

    /// A handle bound to `key`: its methods skip passing the key on every call, the fastest way
    /// to work one key from a hot loop (`const jobs = space.key("jobs"); jobs.out(v)`).
    pub fn key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<SpaceKey, JsValue> {
        Ok(SpaceKey {
            space: Space {
                inner: self.inner.clone(),
            },
            key: key_arg(&key, "Space.key: key")?,
        })
    }

    /// Entries queued under `key`.
    pub fn len(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<u32, JsValue> {
        let key = key_arg(&key, "Space.len: key")?;
        Ok(self.inner.len(&key) as u32)
    }

    /// Entries queued across all keys.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.inner.total_len() as u32
    }

    /// The keys holding entries, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn keys(&self) -> Array {
        let keys: Array = self
            .inner
            .keys()
            .iter()
            .map(|k| JsValue::from_str(k))
            .collect();
        keys.sort()
    }

    /// Closes the space: waiting `take`/`read` reject with `CLOSED`, `out` throws `CLOSED`;
    /// entries stay for `tryTake`. Idempotent.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether `close()` was called.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// Fast paths for the package's JS layer (`pkg-js/fast.js`): it sends keys that it has already
/// checked — strings of at most 1024 UTF-16 units (so at most 3072 UTF-8 bytes, under
/// [`MAX_KEY_BYTES`]) that are well-formed — as `&str`, which skips a `JsValue` round trip per
/// call; anything else goes to the checking methods above, which raise the proper errors. Hidden
/// from the types: they are not API.
#[wasm_bindgen]
impl Space {
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __out, skip_typescript)]
    pub fn out_str(&self, key: &str, value: JsValue) -> Result<(), JsValue> {
        self.inner
            .out(key, value)
            .map_err(|_: Closed<JsValue>| closed("Space.out"))
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __tryTake, skip_typescript)]
    pub fn try_take_str(&self, key: &str) -> JsValue {
        self.inner.try_take(key).unwrap_or(JsValue::UNDEFINED)
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __outMany, skip_typescript)]
    pub fn out_many_str(&self, key: &str, values: Vec<JsValue>) -> Result<(), JsValue> {
        if values.iter().any(JsValue::is_undefined) {
            return Err(value_arg(JsValue::UNDEFINED, "Space.outMany: values[i]")
                .err()
                .unwrap_or(JsValue::UNDEFINED));
        }
        if self.inner.is_closed() {
            return Err(closed("Space.outMany"));
        }
        for v in values {
            self.inner
                .out(key, v)
                .map_err(|_: Closed<JsValue>| closed("Space.outMany"))?;
        }
        Ok(())
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __takeMany, skip_typescript)]
    pub fn take_many_str(&self, key: &str, max: u32) -> Vec<JsValue> {
        let mut out = Vec::new();
        while out.len() < max as usize {
            match self.inner.try_take(key) {
                Some(v) => out.push(v),
                None => break,
            }
        }
        out
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __tryRead, skip_typescript)]
    pub fn try_read_str(&self, key: &str) -> JsValue {
        self.inner.try_read(key).unwrap_or(JsValue::UNDEFINED)
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __len, skip_typescript)]
    pub fn len_str(&self, key: &str) -> u32 {
        self.inner.len(key) as u32
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __take, skip_typescript)]
    pub fn take_str(&self, key: String, options: JsValue) -> Promise {
        match self.wait_opts(&options, "Space.take") {
            Ok(opts) => self.take_checked(key, opts),
            Err(e) => Promise::reject(&e),
        }
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __read, skip_typescript)]
    pub fn read_str(&self, key: String, options: JsValue) -> Promise {
        match self.wait_opts(&options, "Space.read") {
            Ok(opts) => self.read_checked(key, opts),
            Err(e) => Promise::reject(&e),
        }
    }
}

impl Space {
    fn take_checked(&self, key: String, opts: WaitOptions) -> Promise {
        if let Some(v) = self.inner.try_take(&key) {
            return Promise::resolve(&v);
        }
        let space = self.inner.clone();
        js::spawn_promise(async move {
            let taken = Cancellable::new(space.take(&key), &opts).await?;
            taken.map_err(|_| closed("Space.take"))
        })
    }

    fn read_checked(&self, key: String, opts: WaitOptions) -> Promise {
        if let Some(v) = self.inner.try_read(&key) {
            return Promise::resolve(&v);
        }
        let space = self.inner.clone();
        js::spawn_promise(async move {
            let read = Cancellable::new(space.read(&key), &opts).await?;
            read.map_err(|_| closed("Space.read"))
        })
    }

    fn wait_opts(&self, options: &JsValue, what: &str) -> Result<WaitOptions, JsValue> {
        let opts = WaitOptions::parse(options, what)?;
        if self.inner.is_closed() {
            return Err(closed(what));
        }
        opts.check_aborted()?;
        Ok(opts)
    }

    /// `what` names the call (`"Space.take"`), `key_what` its key argument (both static, so the
    /// hot path formats nothing).
    fn wait_args(
        &self,
        key: &JsValue,
        options: &JsValue,
        what: &str,
        key_what: &str,
    ) -> Result<(String, WaitOptions), JsValue> {
        let key = key_arg(key, key_what)?;
        Ok((key, self.wait_opts(options, what)?))
    }

    /// The Rust space (for Rust code sharing it with JS).
    pub fn inner(&self) -> &LocalSpace<JsValue> {
        &self.inner
    }
}

/// One key of a [`Space`], bound once (`space.key("jobs")`): the same operations without the key
/// argument, so a hot loop does not copy the key into wasm on every call.
#[wasm_bindgen]
pub struct SpaceKey {
    space: Space,
    key: String,
}

#[wasm_bindgen]
impl SpaceKey {
    /// The key.
    #[wasm_bindgen(getter, js_name = key)]
    pub fn key_name(&self) -> String {
        self.key.clone()
    }

    /// `space.out(key, value)`.
    pub fn out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = value_arg(value, "SpaceKey.out: value")?;
        self.space
            .inner
            .out(&self.key, value)
            .map_err(|_: Closed<JsValue>| closed("SpaceKey.out"))
    }

    /// `space.take(key, options)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn take(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        match self.space.wait_opts(&options, "SpaceKey.take") {
            Ok(opts) => self.space.take_checked(self.key.clone(), opts),
            Err(e) => Promise::reject(&e),
        }
    }

    /// `space.read(key, options)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn read(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        match self.space.wait_opts(&options, "SpaceKey.read") {
            Ok(opts) => self.space.read_checked(self.key.clone(), opts),
            Err(e) => Promise::reject(&e),
        }
    }

    /// `space.tryTake(key)`.
    #[wasm_bindgen(js_name = tryTake, unchecked_return_type = "unknown")]
    pub fn try_take(&self) -> JsValue {
        self.space
            .inner
            .try_take(&self.key)
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// `space.tryRead(key)`.
    #[wasm_bindgen(js_name = tryRead, unchecked_return_type = "unknown")]
    pub fn try_read(&self) -> JsValue {
        self.space
            .inner
            .try_read(&self.key)
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// `space.len(key)`.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.space.inner.len(&self.key) as u32
    }
}

/// One pending `take` of `takeEach`, cancellable by its signal.
type PendingTake =
    Pin<Box<dyn core::future::Future<Output = Result<Result<JsValue, Closed>, JsValue>>>>;

/// `takeEach` as a stream: one core `take` at a time, created when the consumer asks.
struct TakeEach {
    space: Inner,
    key: String,
    opts: WaitOptions,
    wait: Option<PendingTake>,
}

impl Stream for TakeEach {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.wait.is_none() {
            if this.opts.check_aborted().is_err() {
                return Poll::Ready(None);
            }
            let space = this.space.clone();
            let key = this.key.clone();
            let opts = this.opts.clone();
            this.wait = Some(Box::pin(async move {
                Cancellable::new(space.take(&key), &opts).await
            }));
        }
        let Some(wait) = this.wait.as_mut() else {
            return Poll::Ready(None);
        };
        match wait.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(out) => {
                this.wait = None;
                Poll::Ready(match out {
                    Ok(Ok(v)) => Some(Ok(v)),
                    // Closed space or fired signal: the iteration simply ends.
                    Ok(Err(_)) | Err(_) => None,
                })
            }
        }
    }
}
