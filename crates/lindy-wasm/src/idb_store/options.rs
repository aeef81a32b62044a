//! `IdbStore.open`'s options: `{ durability, maxKeyBytes, maxValueBytes, lockTimeoutMs }`.

use alloc::format;

use wasm_bindgen::JsValue;

pub use super::lock::DEFAULT_LOCK_TIMEOUT_MS;
use crate::js;
// The native store's limits, so both stores accept and refuse the same keys and values.
pub use lindy::store::{DEFAULT_MAX_KEY_LEN, DEFAULT_MAX_VALUE_LEN};
use lindy::store::{MAX_KEY_LEN as MAX_KEY_LIMIT, MAX_VALUE_LEN as MAX_VALUE_LIMIT};

/// The IndexedDB durability hint for write transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// The commit is reported only once the data is flushed to disk (the default: an
    /// acknowledged push survives a power cut).
    #[default]
    Strict,
    /// The commit is reported once the data is handed to the OS (faster; may be lost on a power
    /// cut, never on a tab or browser crash).
    Relaxed,
    /// The browser's default (relaxed in current Chromium and Firefox).
    Default,
}

impl Durability {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Durability::Strict => "strict",
            Durability::Relaxed => "relaxed",
            Durability::Default => "default",
        }
    }
}

/// Default of `maxEntries`: payloads a store holds at once (queued, leased or being written).
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// Default of `maxBytes`: payload bytes a store holds at once (its in-memory mirror keeps them).
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

/// Options of [`IdbStore::open`](super::IdbStore::open) (`{ durability, maxKeyBytes, maxValueBytes, maxEntries, maxBytes, lockTimeoutMs }` from JS).
#[derive(Clone, Debug)]
pub struct IdbStoreOptions {
    /// Durability of write transactions.
    pub durability: Durability,
    /// Longest key accepted, in UTF-8 bytes.
    pub max_key_len: usize,
    /// Largest payload accepted, in bytes.
    pub max_value_len: usize,
    /// Payloads held at once (queued, leased or being written); one more push is `BUFFER_FULL`.
    pub max_entries: usize,
    /// Payload bytes held at once; a push past it is `BUFFER_FULL`.
    pub max_bytes: usize,
    /// How long `open` waits for another handle on the database to close (ms; 0: fail at once
    /// with `STORE_LOCKED` if it is held). See [`DEFAULT_LOCK_TIMEOUT_MS`].
    pub lock_timeout_ms: f64,
}

impl Default for IdbStoreOptions {
    fn default() -> Self {
        IdbStoreOptions {
            durability: Durability::Strict,
            max_key_len: DEFAULT_MAX_KEY_LEN,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            lock_timeout_ms: DEFAULT_LOCK_TIMEOUT_MS,
        }
    }
}

impl IdbStoreOptions {
    /// Parses the JS options object (`undefined`/`null` give the defaults).
    pub fn parse(value: &JsValue) -> Result<IdbStoreOptions, JsValue> {
        let mut opts = IdbStoreOptions::default();
        let Some(obj) = js::options(value, "IdbStore.open: options")? else {
            return Ok(opts);
        };
        js::known_options(
            &obj,
            "IdbStore.open: options",
            &[
                "durability",
                "maxKeyBytes",
                "maxValueBytes",
                "maxEntries",
                "maxBytes",
                "lockTimeoutMs",
            ],
        )?;
        let durability = js::field(&obj, "durability")?;
        if !durability.is_undefined() {
            let d = js::string(&durability, "IdbStore.open: options.durability")?;
            opts.durability = match d.as_str() {
                "strict" => Durability::Strict,
                "relaxed" => Durability::Relaxed,
                "default" => Durability::Default,
                _ => {
                    return Err(js::range_error(&format!(
                        "IdbStore.open: options.durability must be \"strict\", \"relaxed\" or \"default\", got \"{d}\""
                    )))
                }
            };
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxKeyBytes")?,
            "IdbStore.open: options.maxKeyBytes",
            1.0,
            MAX_KEY_LIMIT as f64,
        )? {
            opts.max_key_len = n as usize;
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxValueBytes")?,
            "IdbStore.open: options.maxValueBytes",
            0.0,
            MAX_VALUE_LIMIT as f64,
        )? {
            opts.max_value_len = n as usize;
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxEntries")?,
            "IdbStore.open: options.maxEntries",
            1.0,
            4_294_967_295.0,
        )? {
            opts.max_entries = n as usize;
        }
        if let Some(n) = js::opt_integer(
            &js::field(&obj, "maxBytes")?,
            "IdbStore.open: options.maxBytes",
            1.0,
            9_007_199_254_740_991.0,
        )? {
            opts.max_bytes = n as usize;
        }
        if let Some(ms) = js::opt_millis(
            &js::field(&obj, "lockTimeoutMs")?,
            "IdbStore.open: options.lockTimeoutMs",
        )? {
            opts.lock_timeout_ms = ms;
        }
        Ok(opts)
    }
}
