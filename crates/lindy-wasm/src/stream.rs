//! `Streams`, `StreamWriter`, `StreamReader` for JS: named message streams ([`lindy::stream`]).
//!
//! Messages are bytes (`Uint8Array`; a string is written as its UTF-8). A reader is an async
//! iterator of `Uint8Array`s that ends when every writer of its path has closed.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::cancel::{Cancellable, WaitOptions};
use super::iter::LindyIterator;
use super::js;
use crate::codes;
use lindy::stream::{self as st, StreamOptions, TryWriteError};

/// Longest stream path accepted from JS, in UTF-8 bytes.
const MAX_PATH_BYTES: usize = 1024;

fn path_arg(value: &JsValue, what: &str) -> Result<alloc::string::String, JsValue> {
    // Measured before it is copied into wasm memory when it is far too long.
    let path = match js::too_long(value, MAX_PATH_BYTES) {
        Some(units) => return Err(path_length_error(what, units)),
        None => js::string(value, what)?,
    };
    if path.is_empty() || path.len() > MAX_PATH_BYTES {
        return Err(path_length_error(what, path.len()));
    }
    Ok(path)
}

fn path_length_error(what: &str, len: usize) -> JsValue {
    js::lindy_error(
        codes::INVALID_PATH,
        &format!("{what} must be 1..={MAX_PATH_BYTES} bytes long, got {len}"),
    )
}

/// A path or prefix to look up: `None` when it is longer than any path can be (nothing matches,
/// and it is not copied into wasm memory).
fn lookup_arg(value: &JsValue, what: &str) -> Result<Option<alloc::string::String>, JsValue> {
    if js::too_long(value, MAX_PATH_BYTES).is_some() {
        return Ok(None);
    }
    js::string(value, what).map(Some)
}

/// Default of `maxMessageBytes`: the largest message a hub accepts, in bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Default of `maxPaths`: how many paths a hub holds at once.
pub const DEFAULT_MAX_PATHS: usize = 1024;

/// A message argument: a `Uint8Array` (copied) or a string (its UTF-8), at most `max` bytes.
/// Both are measured before anything is copied into wasm memory (a string has at least as many
/// UTF-8 bytes as UTF-16 units), and the copy is fallible (`OUT_OF_MEMORY`, never a trap).
fn message_arg(value: &JsValue, what: &str, max: usize) -> Result<Bytes, JsValue> {
    if let Some(s) = value.dyn_ref::<js_sys::JsString>() {
        if s.length() as usize > max {
            return Err(too_large(what, s.length() as usize, max));
        }
        let s = js::to_string(value)?;
        if s.len() > max {
            return Err(too_large(what, s.len(), max));
        }
        return Ok(Bytes::from(s.into_bytes()));
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(arr) => {
            if arr.length() as usize > max {
                return Err(too_large(what, arr.length() as usize, max));
            }
            Ok(Bytes::from(js::copy_in(arr, what)?))
        }
        None => Err(js::type_error(&format!(
            "{what} must be a Uint8Array or a string, got {}",
            js::describe(value)
        ))),
    }
}

fn too_large(what: &str, len: usize, max: usize) -> JsValue {
    js::lindy_error(
        codes::VALUE_TOO_LARGE,
        &format!("{what} is {len} bytes (or more), over the hub's maxMessageBytes {max}; nothing was written"),
    )
}

fn bytes_out(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

/// A hub of named streams. Paths are any non-empty strings; a path's stream starts with its
/// first writer or reader.
#[wasm_bindgen]
pub struct Streams {
    hub: st::Streams,
    max_message_bytes: usize,
    max_paths: usize,
}

#[wasm_bindgen]
impl Streams {
    /// A hub; `options`: `{ bufferSize = 100, persistent = false, replayBytes = 1 MiB,
    /// maxMessageBytes = 1 MiB, maxPaths = 1024 }`. The bounds keep what a hub can hold finite:
    /// at most `maxPaths × (bufferSize × maxMessageBytes + replayBytes)` bytes of messages.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "StreamsOptions")] options: JsValue,
    ) -> Result<Streams, JsValue> {
        let mut opts = StreamOptions::new();
        let mut max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES;
        let mut max_paths = DEFAULT_MAX_PATHS;
        if let Some(obj) = js::options(&options, "new Streams: options")? {
            js::known_options(
                &obj,
                "new Streams: options",
                &[
                    "bufferSize",
                    "persistent",
                    "replayBytes",
                    "maxMessageBytes",
                    "maxPaths",
                ],
            )?;
            if let Some(n) = js::opt_integer(
                &js::field(&obj, "bufferSize")?,
                "new Streams: options.bufferSize",
                1.0,
                16_777_216.0,
            )? {
                opts = opts.buffer_size(n as usize);
            }
            let p = js::field(&obj, "persistent")?;
            if !p.is_undefined() {
                let on = p.as_bool().ok_or_else(|| {
                    js::type_error(&format!(
                        "new Streams: options.persistent must be a boolean, got {}",
                        js::describe(&p)
                    ))
                })?;
                opts = opts.persistent(on);
            }
            if let Some(n) = js::opt_integer(
                &js::field(&obj, "replayBytes")?,
                "new Streams: options.replayBytes",
                0.0,
                4_294_967_295.0,
            )? {
                opts = opts.replay_bytes(n as usize);
            }
            if let Some(n) = js::opt_integer(
                &js::field(&obj, "maxMessageBytes")?,
                "new Streams: options.maxMessageBytes",
                1.0,
                4_294_967_295.0,
            )? {
                max_message_bytes = n as usize;
            }
            if let Some(n) = js::opt_integer(
                &js::field(&obj, "maxPaths")?,
                "new Streams: options.maxPaths",
                1.0,
                16_777_216.0,
            )? {
                max_paths = n as usize;
            }
        }
        Ok(Streams {
            hub: st::Streams::with_options(opts),
            max_message_bytes,
            max_paths,
        })
    }

    /// A writer on `path` (`CLOSED` if the path's stream has ended or the hub is closed).
    pub fn writer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<StreamWriter, JsValue> {
        let path = path_arg(&path, "Streams.writer: path")?;
        self.check_room(&path, "Streams.writer")?;
        let w = self
            .hub
            .writer(&path)
            .map_err(|e| js::from_code_in("Streams.writer", &e))?;
        Ok(StreamWriter {
            inner: Rc::new(RefCell::new(w)),
            close_requested: Rc::new(Cell::new(false)),
            max_message_bytes: self.max_message_bytes,
        })
    }

    /// A reader on `path`: an async iterator of messages (`CLOSED` if the hub is closed).
    pub fn reader(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<StreamReader, JsValue> {
        let path = path_arg(&path, "Streams.reader: path")?;
        self.check_room(&path, "Streams.reader")?;
        let r = self
            .hub
            .reader(&path)
            .map_err(|e| js::from_code_in("Streams.reader", &e))?;
        Ok(StreamReader {
            inner: Rc::new(RefCell::new(Some(r))),
        })
    }

    /// Writes `message` to every path under `prefix` that has room, without waiting; returns
    /// `{ matched, skipped }`.
    #[wasm_bindgen(unchecked_return_type = "{ matched: number; skipped: number }")]
    pub fn broadcast(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] prefix: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] message: JsValue,
    ) -> Result<JsValue, JsValue> {
        let prefix = lookup_arg(&prefix, "Streams.broadcast: prefix")?;
        let msg = message_arg(
            &message,
            "Streams.broadcast: message",
            self.max_message_bytes,
        )?;
        // A prefix longer than any path matches none.
        let (matched, skipped) = prefix.map_or((0, 0), |prefix| {
            let report = self.hub.broadcast(&prefix, msg);
            (report.matched(), report.skipped())
        });
        let o = Object::new();
        js::set(&o, "matched", &JsValue::from(matched as u32));
        js::set(&o, "skipped", &JsValue::from(skipped as u32));
        Ok(o.into())
    }

    /// Whether `path` exists.
    pub fn exists(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<bool, JsValue> {
        Ok(lookup_arg(&path, "Streams.exists: path")?.is_some_and(|p| self.hub.exists(&p)))
    }

    /// Removes `path` (its readers see the end at once); returns how many messages were dropped,
    /// or `undefined` if there was no such path.
    #[wasm_bindgen(unchecked_return_type = "number | undefined")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Some(path) = lookup_arg(&path, "Streams.delete: path")? else {
            return Ok(JsValue::UNDEFINED); // longer than any path: there is none
        };
        Ok(self
            .hub
            .delete(&path)
            .map_or(JsValue::UNDEFINED, |n| JsValue::from(n as u32)))
    }

    /// The paths under `prefix` (`""` for all), sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] prefix: JsValue,
    ) -> Result<Array, JsValue> {
        let prefix = if prefix.is_undefined() {
            alloc::string::String::new()
        } else {
            match lookup_arg(&prefix, "Streams.list: prefix")? {
                Some(prefix) => prefix,
                None => return Ok(Array::new()), // longer than any path: none is under it
            }
        };
        Ok(self
            .hub
            .list(&prefix)
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect())
    }

    /// Ends every stream and refuses new writers and readers.
    pub fn close(&self) {
        self.hub.close();
    }

    /// Whether `close()` was called.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.hub.is_closed()
    }
}

impl Streams {
    /// `BUFFER_FULL` when `path` would be a new path beyond `maxPaths`.
    fn check_room(&self, path: &str, what: &str) -> Result<(), JsValue> {
        if self.hub.channel_count() >= self.max_paths && !self.hub.exists(path) {
            return Err(js::lindy_error(
                codes::BUFFER_FULL,
                &format!(
                    "{what}: the hub holds its maxPaths {} paths; delete one or raise maxPaths",
                    self.max_paths
                ),
            ));
        }
        Ok(())
    }
}

/// Writes messages to one path. When every writer of a path has closed, its readers see the end.
#[wasm_bindgen]
pub struct StreamWriter {
    inner: Rc<RefCell<st::Writer>>,
    /// `close()` came while a `write` held the writer: the write closes it when it ends.
    close_requested: Rc<Cell<bool>>,
    /// The hub's `maxMessageBytes`.
    max_message_bytes: usize,
}

#[wasm_bindgen]
impl StreamWriter {
    /// Writes one message, waiting while the path's buffer is full. Rejects with `CLOSED` if
    /// the writer, path or hub is closed, `ABORTED`/`TIMEOUT` if cancelled — in which case the
    /// message was not written (a write is all or nothing).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn write(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] message: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = message_arg(
            &message,
            "StreamWriter.write: message",
            self.max_message_bytes,
        )
        .and_then(|m| {
            let opts = WaitOptions::parse(&options, "StreamWriter.write")?;
            opts.check_aborted()?;
            Ok((m, opts))
        });
        let (msg, opts) = match prepared {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        let writer = self.inner.clone();
        let close_requested = self.close_requested.clone();
        // A shared borrow is held across the wait on purpose: concurrent writes share it, and
        // `close`/`tryWrite`/getters use `try_borrow*`, so nothing can panic on it.
        #[allow(clippy::await_holding_refcell_ref)]
        js::spawn_promise(async move {
            let result = {
                let w = writer.borrow();
                Cancellable::new(w.write(msg), &opts).await
            };
            if close_requested.get() {
                writer.borrow_mut().close();
            }
            match result? {
                Ok(()) => Ok(JsValue::UNDEFINED),
                Err(closed) => Err(js::from_code_in("StreamWriter.write", &closed)),
            }
        })
    }

    /// Writes one message if there is room now; returns `false` (message not written) when the
    /// buffer is full. Throws `CLOSED` if the writer, path or hub is closed.
    #[wasm_bindgen(js_name = tryWrite)]
    pub fn try_write(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] message: JsValue,
    ) -> Result<bool, JsValue> {
        let msg = message_arg(
            &message,
            "StreamWriter.tryWrite: message",
            self.max_message_bytes,
        )?;
        let w = self
            .inner
            .try_borrow()
            .map_err(|_| js::lindy_error(codes::BUFFER_FULL, "a write is in progress"))?;
        match w.try_write(msg) {
            Ok(()) => Ok(true),
            Err(TryWriteError::Full(_)) => Ok(false),
            Err(TryWriteError::Closed(c)) => Err(js::from_code_in("StreamWriter.tryWrite", &c)),
        }
    }

    /// Closes this writer (idempotent). If a `write` is waiting, it closes once that write ends.
    pub fn close(&self) {
        match self.inner.try_borrow_mut() {
            Ok(mut w) => w.close(),
            Err(_) => self.close_requested.set(true),
        }
    }

    /// Whether writes will fail (closed writer, deleted path or closed hub).
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.close_requested.get() || self.inner.try_borrow().is_ok_and(|w| w.is_closed())
    }

    /// The path written to.
    #[wasm_bindgen(getter)]
    pub fn path(&self) -> alloc::string::String {
        self.inner
            .try_borrow()
            .map(|w| alloc::string::String::from(w.path()))
            .unwrap_or_default()
    }
}

/// Reads the messages of one path: `for await (const msg of reader)`, or `recv()`.
#[wasm_bindgen]
pub struct StreamReader {
    /// `None` once closed; moved out by `recv()`/the iterator while they wait.
    inner: Rc<RefCell<Option<st::Reader>>>,
}

#[wasm_bindgen]
impl StreamReader {
    /// The next message, or `undefined` at the end of the stream. `signal`/`timeoutMs` cancel
    /// the wait (`ABORTED`/`TIMEOUT`) and consume nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array | undefined>")]
    pub fn recv(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let opts = match WaitOptions::parse(&options, "StreamReader.recv")
            .and_then(|o| o.check_aborted().map(|()| o))
        {
            Ok(o) => o,
            Err(e) => return Promise::reject(&e),
        };
        let Some(mut reader) = self.inner.borrow_mut().take() else {
            return Promise::reject(&js::lindy_error(
                codes::CLOSED,
                "StreamReader is closed, or another recv() is still waiting",
            ));
        };
        let cell = self.inner.clone();
        js::spawn_promise(async move {
            let result = Cancellable::new(reader.recv(), &opts).await;
            *cell.borrow_mut() = Some(reader);
            Ok(match result? {
                Some(msg) => bytes_out(&msg),
                None => JsValue::UNDEFINED,
            })
        })
    }

    /// The next message if one is there: a `Uint8Array`, `null` if none yet, `undefined` at the
    /// end of the stream.
    #[wasm_bindgen(js_name = tryRecv, unchecked_return_type = "Uint8Array | null | undefined")]
    pub fn try_recv(&self) -> JsValue {
        match self.inner.borrow_mut().as_mut() {
            Some(r) => match r.try_recv() {
                Ok(msg) => bytes_out(&msg),
                Err(st::TryRecvError::Closed) => JsValue::UNDEFINED,
                Err(st::TryRecvError::Empty) => JsValue::NULL,
            },
            None => JsValue::UNDEFINED,
        }
    }

    /// Messages this reader missed because a persistent path's history was trimmed first.
    #[wasm_bindgen(getter)]
    pub fn missed(&self) -> f64 {
        self.inner
            .borrow()
            .as_ref()
            .map_or(0.0, |r| r.missed() as f64)
    }

    /// Detaches from the path (the reader then sees the end). Idempotent.
    pub fn close(&self) {
        if let Some(mut r) = self.inner.borrow_mut().take() {
            r.close();
        }
    }

    /// The messages as an async iterator (the reader is handed over to it).
    #[wasm_bindgen(
        js_name = "[Symbol.asyncIterator]",
        unchecked_return_type = "AsyncIterableIterator<Uint8Array>"
    )]
    pub fn async_iterator(&self) -> LindyIterator {
        match self.inner.borrow_mut().take() {
            Some(r) => LindyIterator::new(Box::pin(Messages(r))),
            None => LindyIterator::new(Box::pin(Messages::ended())),
        }
    }
}

/// A reader as a stream of `Uint8Array`s.
struct Messages(st::Reader);

impl Messages {
    fn ended() -> impl Stream<Item = Result<JsValue, JsValue>> {
        Ended
    }
}

struct Ended;

impl Stream for Ended {
    type Item = Result<JsValue, JsValue>;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(None)
    }
}

impl Stream for Messages {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().0)
            .poll_next(cx)
            .map(|m| m.map(|m| Ok(bytes_out(&m))))
    }
}
