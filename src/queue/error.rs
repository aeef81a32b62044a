//! The engine's errors: every case named, every one with a stable [code](crate::error).

use core::fmt;

use crate::error::{codes, ErrorCode};

/// Why a push was refused. Every case hands the value back ([`into_inner`](Self::into_inner)):
/// nothing is lost silently.
///
/// ```
/// use lindy::queue::{Engine, PushError};
/// let mut q: Engine<&str> = Engine::new();
/// q.close();
/// let err = q.try_push("k", "job").unwrap_err();
/// assert_eq!((err.code(), err.into_inner()), ("CLOSED", "job"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushError<V> {
    /// The engine is closed (code `CLOSED`).
    Closed(V),
    /// No room under the space's or the key's bound (code `BUFFER_FULL`); the waiting form of
    /// push waits for room instead.
    Full(V),
    /// The value alone weighs more than a byte bound allows, so it could never go in (code
    /// `VALUE_TOO_LARGE`); waiting would not help.
    TooLarge(V),
}

impl<V> PushError<V> {
    /// Takes the value back.
    ///
    /// ```
    /// use lindy::queue::PushError;
    /// assert_eq!(PushError::Full(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> V {
        match self {
            PushError::Closed(v) | PushError::Full(v) | PushError::TooLarge(v) => v,
        }
    }

    /// The same error around another value.
    ///
    /// ```
    /// use lindy::queue::PushError;
    /// assert_eq!(PushError::Full(7).map(|v| v * 2), PushError::Full(14));
    /// ```
    pub fn map<U>(self, f: impl FnOnce(V) -> U) -> PushError<U> {
        match self {
            PushError::Closed(v) => PushError::Closed(f(v)),
            PushError::Full(v) => PushError::Full(f(v)),
            PushError::TooLarge(v) => PushError::TooLarge(f(v)),
        }
    }
}

impl<V> fmt::Debug for PushError<V> {
    // Values need not be `Debug`; what matters in a log is why.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PushError::Closed(_) => "Closed(..)",
            PushError::Full(_) => "Full(..)",
            PushError::TooLarge(_) => "TooLarge(..)",
        })
    }
}

impl<V> fmt::Display for PushError<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PushError::Closed(_) => "closed: the value is handed back",
            PushError::Full(_) => "no room under the bound: the value is handed back",
            PushError::TooLarge(_) => "the value weighs more than the byte bound allows",
        })
    }
}

impl<V> PushError<V> {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::queue::PushError;
    /// assert_eq!(PushError::TooLarge(()).code(), "VALUE_TOO_LARGE");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            PushError::Closed(_) => codes::CLOSED,
            PushError::Full(_) => codes::BUFFER_FULL,
            PushError::TooLarge(_) => codes::VALUE_TOO_LARGE,
        }
    }
}

impl<V> ErrorCode for PushError<V> {
    fn code(&self) -> &'static str {
        PushError::code(self)
    }
}

impl<V> core::error::Error for PushError<V> {}

/// Renamed [`PushError`].
#[deprecated(since = "0.2.0", note = "renamed to `PushError`")]
pub type OutError<V> = PushError<V>;

/// Why a non-waiting take or read found nothing.
///
/// ```
/// use lindy::queue::{Engine, TryTakeError};
/// let mut q: Engine<u32> = Engine::new();
/// assert_eq!(q.try_take("k").unwrap_err(), TryTakeError::Empty);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryTakeError {
    /// Nothing queued there now (code `BUFFER_EMPTY`).
    Empty,
    /// Nothing queued and the engine is closed: nothing will come (code `CLOSED`).
    Closed,
}

impl fmt::Display for TryTakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryTakeError::Empty => "nothing queued",
            TryTakeError::Closed => "closed and drained",
        })
    }
}

impl TryTakeError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::queue::TryTakeError;
    /// assert_eq!((TryTakeError::Empty.code(), TryTakeError::Closed.code()), ("BUFFER_EMPTY", "CLOSED"));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TryTakeError::Empty => codes::BUFFER_EMPTY,
            TryTakeError::Closed => codes::CLOSED,
        }
    }
}

impl ErrorCode for TryTakeError {
    fn code(&self) -> &'static str {
        TryTakeError::code(self)
    }
}

impl core::error::Error for TryTakeError {}

/// Why a lease operation failed. Nothing changed.
///
/// ```
/// use lindy::queue::{Engine, LeaseError, LeaseId};
/// let mut q: Engine<u32> = Engine::new();
/// assert_eq!(q.ack(LeaseId::from_u64(99)).unwrap_err(), LeaseError::Lost);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeaseError {
    /// No live lease has that id: it was acknowledged, returned, expired (and its entry is back
    /// at the head of its key, or dead-lettered), or never issued (code `LEASE_LOST`).
    Lost,
    /// A lease length of 0, above [`MAX_LEASE_MS`](super::MAX_LEASE_MS), or not a whole number
    /// of milliseconds (NaN, infinite, negative, fractional from JavaScript) (code
    /// `LEASE_INVALID`).
    Invalid,
}

impl fmt::Display for LeaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeaseError::Lost => "no such lease: settled, expired or never issued",
            LeaseError::Invalid => {
                "a lease length must be a whole number of milliseconds in 1..=MAX_LEASE_MS"
            }
        })
    }
}

impl LeaseError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::queue::LeaseError;
    /// assert_eq!((LeaseError::Lost.code(), LeaseError::Invalid.code()), ("LEASE_LOST", "LEASE_INVALID"));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            LeaseError::Lost => codes::LEASE_LOST,
            LeaseError::Invalid => codes::LEASE_INVALID,
        }
    }
}

impl ErrorCode for LeaseError {
    fn code(&self) -> &'static str {
        LeaseError::code(self)
    }
}

impl core::error::Error for LeaseError {}

/// Why a leased take failed. Nothing was taken.
///
/// ```
/// use lindy::queue::{Engine, TakeLeasedError};
/// let mut q: Engine<u32> = Engine::new();
/// q.try_push("k", 1).unwrap();
/// assert_eq!(q.try_take_leased("k", Some(0), 0).unwrap_err(), TakeLeasedError::Invalid);
/// assert_eq!(q.len("k"), 1); // nothing taken
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TakeLeasedError {
    /// Nothing queued now (code `BUFFER_EMPTY`).
    Empty,
    /// Nothing queued and closed (code `CLOSED`).
    Closed,
    /// A bad lease length (code `LEASE_INVALID`), checked before anything is taken.
    Invalid,
}

impl From<TryTakeError> for TakeLeasedError {
    fn from(e: TryTakeError) -> Self {
        match e {
            TryTakeError::Empty => TakeLeasedError::Empty,
            TryTakeError::Closed => TakeLeasedError::Closed,
        }
    }
}

impl fmt::Display for TakeLeasedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TakeLeasedError::Empty => TryTakeError::Empty.fmt(f),
            TakeLeasedError::Closed => TryTakeError::Closed.fmt(f),
            TakeLeasedError::Invalid => LeaseError::Invalid.fmt(f),
        }
    }
}

impl TakeLeasedError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::queue::TakeLeasedError;
    /// assert_eq!(TakeLeasedError::Empty.code(), "BUFFER_EMPTY");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TakeLeasedError::Empty => codes::BUFFER_EMPTY,
            TakeLeasedError::Closed => codes::CLOSED,
            TakeLeasedError::Invalid => codes::LEASE_INVALID,
        }
    }
}

impl ErrorCode for TakeLeasedError {
    fn code(&self) -> &'static str {
        TakeLeasedError::code(self)
    }
}

impl core::error::Error for TakeLeasedError {}

/// A configuration value out of range (code `INVALID_CONFIG`); the message names it.
///
/// ```
/// use lindy::queue::Config;
/// let err = Config::<u32>::new().max_entries(0).check().unwrap_err();
/// assert_eq!(err.code(), "INVALID_CONFIG");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigError {
    what: &'static str,
}

impl ConfigError {
    pub(crate) const fn new(what: &'static str) -> Self {
        ConfigError { what }
    }

    /// Which setting, and why (e.g. `"max_entries must be at least 1"`).
    ///
    /// ```
    /// use lindy::queue::Config;
    /// let err = Config::<u32>::new().max_entries(0).check().unwrap_err();
    /// assert!(err.reason().contains("max_entries"));
    /// ```
    pub fn reason(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid queue configuration: {}", self.what)
    }
}

impl ConfigError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::queue::Config;
    /// assert_eq!(Config::<u32>::new().max_bytes(0).check().unwrap_err().code(), "INVALID_CONFIG");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::INVALID_CONFIG
    }
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        ConfigError::code(self)
    }
}

impl core::error::Error for ConfigError {}
