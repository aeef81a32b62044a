//! [`Config`]: bounds, lease defaults and the dead-letter rule of an [`Engine`](super::Engine).

use core::fmt;

use compact_str::CompactString;

use super::error::{ConfigError, LeaseError};

/// The longest lease: one year in milliseconds. Longer is almost certainly a unit mistake
/// (seconds or microseconds passed as milliseconds), so it is refused with `LEASE_INVALID`.
///
/// ```
/// use lindy::queue::{check_lease_ms, MAX_LEASE_MS};
/// assert!(check_lease_ms(MAX_LEASE_MS).is_ok());
/// assert!(check_lease_ms(MAX_LEASE_MS + 1).is_err());
/// ```
pub const MAX_LEASE_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// The lease length used when a leased take passes none: 30 seconds.
///
/// ```
/// use lindy::queue::{Engine, DEFAULT_LEASE_MS};
/// let mut q: Engine<u32> = Engine::new();
/// q.try_push("k", 1).unwrap();
/// assert_eq!(q.try_take_leased("k", None, 0).unwrap().deadline, DEFAULT_LEASE_MS);
/// ```
pub const DEFAULT_LEASE_MS: u64 = 30_000;

/// Checks a lease length in milliseconds: `1..=MAX_LEASE_MS`.
///
/// ```
/// use lindy::queue::check_lease_ms;
/// assert_eq!(check_lease_ms(1_000), Ok(1_000));
/// assert_eq!(check_lease_ms(0).unwrap_err().code(), "LEASE_INVALID");
/// ```
///
/// # Errors
/// [`LeaseError::Invalid`] (code `LEASE_INVALID`) for 0 or above [`MAX_LEASE_MS`].
pub const fn check_lease_ms(ms: u64) -> Result<u64, LeaseError> {
    if ms == 0 || ms > MAX_LEASE_MS {
        Err(LeaseError::Invalid)
    } else {
        Ok(ms)
    }
}

/// Checks a lease length that comes as a float (JavaScript numbers): a whole number in
/// `1..=MAX_LEASE_MS`. NaN, infinities, negatives and fractions are refused, never rounded.
///
/// ```
/// use lindy::queue::lease_ms_from_f64;
/// assert_eq!(lease_ms_from_f64(1500.0), Ok(1500));
/// for bad in [0.0, -1.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
///     assert_eq!(lindy::ErrorCode::code(&lease_ms_from_f64(bad).unwrap_err()), "LEASE_INVALID");
/// }
/// ```
///
/// # Errors
/// [`LeaseError::Invalid`] (code `LEASE_INVALID`).
pub fn lease_ms_from_f64(ms: f64) -> Result<u64, LeaseError> {
    // `MAX_LEASE_MS` is far below 2^53, so the comparison and the cast are exact.
    if ms.is_finite() && ms >= 1.0 && ms <= MAX_LEASE_MS as f64 && ms == (ms as u64) as f64 {
        Ok(ms as u64)
    } else {
        Err(LeaseError::Invalid)
    }
}

/// How an [`Engine`](super::Engine) bounds memory, leases and redelivers: built with the
/// methods below, checked by [`Engine::with_config`](super::Engine::with_config).
///
/// Every bound is optional; the default is unbounded, 30 s leases, no dead-letter rule.
///
/// * **Entries** ([`max_entries`](Self::max_entries), [`key_max_entries`](Self::key_max_entries)):
///   queued plus leased entries, across the engine or under one key.
/// * **Bytes** ([`max_bytes`](Self::max_bytes), [`key_max_bytes`](Self::key_max_bytes)): the
///   sum of [`weigher`](Self::weigher)`(value)` over queued plus leased entries. A value heavier
///   than a byte bound is refused with `VALUE_TOO_LARGE` (it could never fit).
///
/// A leased entry keeps its room until it is acknowledged, so a returned lease always fits.
///
/// ```
/// use lindy::queue::{Config, Engine, PushError};
/// let config = Config::new().max_entries(2).key_max_bytes(8).weigher(|v: &Vec<u8>| v.len());
/// let mut q: Engine<Vec<u8>> = Engine::with_config(config).unwrap();
/// q.try_push("a", vec![1; 8]).unwrap();
/// assert!(matches!(q.try_push("a", vec![1]), Err(PushError::Full(_)))); // key "a" holds 8 bytes
/// assert!(matches!(q.try_push("b", vec![1; 9]), Err(PushError::TooLarge(_))));
/// q.try_push("b", vec![2]).unwrap();
/// assert!(matches!(q.try_push("c", vec![3]), Err(PushError::Full(_)))); // two entries in all
/// assert_eq!(lindy::ErrorCode::code(&Config::<u8>::new().max_entries(0).check().unwrap_err()), "INVALID_CONFIG");
/// ```
pub struct Config<V> {
    pub(crate) max_entries: Option<usize>,
    pub(crate) max_bytes: Option<usize>,
    pub(crate) key_max_entries: Option<usize>,
    pub(crate) key_max_bytes: Option<usize>,
    pub(crate) weigher: Option<fn(&V) -> usize>,
    pub(crate) default_lease_ms: u64,
    pub(crate) max_deliveries: Option<u32>,
    pub(crate) dead_letter_key: CompactString,
}

impl<V> Clone for Config<V> {
    fn clone(&self) -> Self {
        Config {
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            key_max_entries: self.key_max_entries,
            key_max_bytes: self.key_max_bytes,
            weigher: self.weigher,
            default_lease_ms: self.default_lease_ms,
            max_deliveries: self.max_deliveries,
            dead_letter_key: self.dead_letter_key.clone(),
        }
    }
}

impl<V> fmt::Debug for Config<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("key_max_entries", &self.key_max_entries)
            .field("key_max_bytes", &self.key_max_bytes)
            .field("weigher", &self.weigher.is_some())
            .field("default_lease_ms", &self.default_lease_ms)
            .field("max_deliveries", &self.max_deliveries)
            .field("dead_letter_key", &self.dead_letter_key)
            .finish()
    }
}

impl<V> Default for Config<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Config<V> {
    /// Unbounded, 30 s default leases, no dead-letter rule.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let q: Engine<u32> = Engine::with_config(Config::new()).unwrap(); // as `Engine::new()`
    /// assert!(q.is_empty());
    /// ```
    pub const fn new() -> Self {
        Config {
            max_entries: None,
            max_bytes: None,
            key_max_entries: None,
            key_max_bytes: None,
            weigher: None,
            default_lease_ms: DEFAULT_LEASE_MS,
            max_deliveries: None,
            dead_letter_key: CompactString::const_new("dead-letter"),
        }
    }

    /// At most `n` entries (queued plus leased) across the engine. 0 is refused by
    /// [`check`](Self::check).
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    /// q.try_push("a", 1).unwrap();
    /// assert_eq!(q.try_push("b", 2), Err(PushError::Full(2))); // across keys
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = Some(n);
        self
    }

    /// At most `n` bytes (by the [`weigher`](Self::weigher)) across the engine.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let config = Config::new().max_bytes(10).weigher(|v: &String| v.len());
    /// let mut q: Engine<String> = Engine::with_config(config).unwrap();
    /// q.try_push("a", "123456".into()).unwrap();
    /// assert!(matches!(q.try_push("b", "123456".into()), Err(PushError::Full(_))));
    /// ```
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = Some(n);
        self
    }

    /// At most `n` entries (queued plus leased) under any one key.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let mut q: Engine<u32> = Engine::with_config(Config::new().key_max_entries(1)).unwrap();
    /// q.try_push("a", 1).unwrap();
    /// assert_eq!(q.try_push("a", 2), Err(PushError::Full(2)));
    /// q.try_push("b", 3).unwrap(); // another key has its own room
    /// ```
    pub fn key_max_entries(mut self, n: usize) -> Self {
        self.key_max_entries = Some(n);
        self
    }

    /// At most `n` bytes (by the [`weigher`](Self::weigher)) under any one key.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let config = Config::new().key_max_bytes(4).weigher(|v: &String| v.len());
    /// let mut q: Engine<String> = Engine::with_config(config).unwrap();
    /// assert!(matches!(q.try_push("a", "12345".into()), Err(PushError::TooLarge(_)))); // never fits
    /// ```
    pub fn key_max_bytes(mut self, n: usize) -> Self {
        self.key_max_bytes = Some(n);
        self
    }

    /// How many bytes a value counts for the byte bounds (e.g. `|v: &Vec<u8>| v.len()`). It runs
    /// under the engine's driver's lock: keep it cheap and deterministic (it must give the same
    /// answer for the same value every time).
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let config = Config::new().max_bytes(3).weigher(|v: &Vec<u8>| v.len());
    /// let mut q: Engine<Vec<u8>> = Engine::with_config(config).unwrap();
    /// q.try_push("k", vec![1, 2]).unwrap();
    /// assert_eq!(q.bytes(), 2);
    /// ```
    pub fn weigher(mut self, weigh: fn(&V) -> usize) -> Self {
        self.weigher = Some(weigh);
        self
    }

    /// The lease length of a leased take that names none (default [`DEFAULT_LEASE_MS`]).
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let mut q: Engine<u32> = Engine::with_config(Config::new().default_lease_ms(500)).unwrap();
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!(q.try_take_leased("k", None, 1_000).unwrap().deadline, 1_500);
    /// ```
    pub fn default_lease_ms(mut self, ms: u64) -> Self {
        self.default_lease_ms = ms;
        self
    }

    /// After `n` leased deliveries, an entry whose lease is returned or expires moves to the
    /// dead-letter key instead of its own key's head. 0 is refused by [`check`](Self::check).
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, Returned};
    /// let config = Config::new().max_deliveries(1).dead_letter_key("dead");
    /// let mut q: Engine<u32> = Engine::with_config(config).unwrap();
    /// q.try_push("k", 1).unwrap();
    /// let id = q.try_take_leased("k", None, 0).unwrap().id;
    /// assert!(matches!(q.nack(id), Ok(Returned::DeadLettered(_))));
    /// assert_eq!(q.try_take("dead").unwrap().value, 1);
    /// ```
    pub fn max_deliveries(mut self, n: u32) -> Self {
        self.max_deliveries = Some(n);
        self
    }

    /// The key dead-lettered entries go to (default `"dead-letter"`). It is a key like any
    /// other: take from it, watch it, bound it.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let config = Config::new().max_deliveries(1).dead_letter_key("failed.jobs");
    /// let mut q: Engine<u32> = Engine::with_config(config).unwrap();
    /// q.try_push("jobs", 1).unwrap();
    /// q.try_take_leased("jobs", Some(10), 0).unwrap();
    /// q.handle_timeout(10); // expired once: its one delivery is used up
    /// assert_eq!(q.len("failed.jobs"), 1);
    /// ```
    pub fn dead_letter_key(mut self, key: &str) -> Self {
        self.dead_letter_key = CompactString::from(key);
        self
    }

    /// Checks every setting.
    ///
    /// ```
    /// use lindy::queue::Config;
    /// assert!(Config::<u32>::new().max_entries(1).check().is_ok());
    /// assert_eq!(Config::<u32>::new().key_max_entries(0).check().unwrap_err().code(), "INVALID_CONFIG");
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] (code `INVALID_CONFIG`) naming the first bad setting: a bound of 0, a byte
    /// bound without a weigher, a default lease outside `1..=MAX_LEASE_MS`, `max_deliveries(0)`,
    /// an empty dead-letter key.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.max_entries == Some(0) {
            return Err(ConfigError::new("max_entries must be at least 1"));
        }
        if self.max_bytes == Some(0) {
            return Err(ConfigError::new("max_bytes must be at least 1"));
        }
        if self.key_max_entries == Some(0) {
            return Err(ConfigError::new("key_max_entries must be at least 1"));
        }
        if self.key_max_bytes == Some(0) {
            return Err(ConfigError::new("key_max_bytes must be at least 1"));
        }
        if (self.max_bytes.is_some() || self.key_max_bytes.is_some()) && self.weigher.is_none() {
            return Err(ConfigError::new("a byte bound needs a weigher"));
        }
        if check_lease_ms(self.default_lease_ms).is_err() {
            return Err(ConfigError::new(
                "default_lease_ms must be in 1..=MAX_LEASE_MS",
            ));
        }
        if self.max_deliveries == Some(0) {
            return Err(ConfigError::new("max_deliveries must be at least 1"));
        }
        if self.dead_letter_key.is_empty() {
            return Err(ConfigError::new("the dead-letter key must not be empty"));
        }
        Ok(())
    }

    /// Whether any bound is set (the engine skips all accounting otherwise).
    pub(crate) fn bounded(&self) -> bool {
        self.max_entries.is_some()
            || self.max_bytes.is_some()
            || self.key_max_entries.is_some()
            || self.key_max_bytes.is_some()
    }

    /// Whether per-key counts are needed.
    pub(crate) fn key_bounded(&self) -> bool {
        self.key_max_entries.is_some() || self.key_max_bytes.is_some()
    }
}
