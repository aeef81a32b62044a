//! Errors with stable codes.
//!
//! Every error type in lindy implements [`ErrorCode`]: `err.code()` returns one of the strings
//! below, the same in Rust, in JavaScript (`err.code`) and in logs. Codes are part of the public
//! API: they are never renamed, only added. The JS package adds the codes only JS raises
//! (`ABORTED`, `NOT_CLONEABLE`, `STORE_LOCKED`: see `lindy_wasm::codes` in `crates/lindy-wasm`).
//!
//! `code()` needs no import: the error types carry it as an inherent method too (and
//! `use lindy::prelude::*;` brings the trait, for generic code over any lindy error).
//!
//! ```
//! let err = lindy::grammar::Name::parse("nope").unwrap_err();
//! assert_eq!(err.code(), "CHANNEL_INVALID"); // no trait import
//! ```
//!
//! | code | raised by | meaning |
//! |---|---|---|
//! | `CHANNEL_INVALID` | [`grammar`](crate::grammar), [`channels`](crate::channels) | a channel name breaks the grammar, or has the wrong visibility for the call |
//! | `PATTERN_INVALID` | [`grammar`](crate::grammar) | a channel pattern breaks the grammar |
//! | `CHANNEL_NOT_FOUND` | [`channels`](crate::channels) | no such channel, or it was deleted |
//! | `CHANNEL_EXISTS` | [`channels`](crate::channels) | a private channel with that name already exists |
//! | `CHANNEL_CLOSED` | [`channels`](crate::channels) | the public channel is closed (re-open it first) |
//! | `CHANNEL_TTL_EXCEEDS_MAX` | [`channels`](crate::channels) | a private channel's TTL is above the maximum |
//! | `BUFFER_FULL` | [`ring`](crate::ring), [`queue`](crate::queue), [`space`](crate::space) | no room: the value is handed back |
//! | `BUFFER_EMPTY` | [`ring`](crate::ring), [`queue`](crate::queue) | nothing to take |
//! | `CLOSED` | every waiting primitive, streams, the store | the object was closed: values are handed back |
//! | `INVALID_PATH` | [`stream`](crate::stream) | an empty or malformed stream path |
//! | `INVALID_CONFIG` | [`stream`](crate::stream), [`batch`](crate::batch), [`ring`](crate::ring), [`queue`](crate::queue) | a configuration value could not be parsed or is out of range (e.g. a ring capacity of 0) |
//! | `KEY_INVALID` | [`space`](crate::space), [`store`](crate::store) | an empty or over-long key |
//! | `VALUE_TOO_LARGE` | [`store`](crate::store), [`queue`](crate::queue) | a payload above the configured maximum; nothing was written |
//! | `STORE_CORRUPT` | [`store`](crate::store) | the log is corrupt before its tail (the offset is in the message) |
//! | `STORE_POISONED` | [`store`](crate::store) | an earlier fsync failed; reopen the store to recover |
//! | `IO` | [`store`](crate::store) | the storage backend failed |
//! | `SEQUENCE_EXHAUSTED` | [`store`](crate::store) | the log's sequence numbers are used up; the push was refused, nothing was written |
//! | `TIMEOUT` | waiting adapters | a wait ran out of time; nothing was taken |
//! | `LEASE_LOST` | [`queue`](crate::queue), [`space`](crate::space), the JS fan-out hub | no live lease has that id: it expired (its entry is back at the head of its key, or dead-lettered), was settled, or was never issued |
//! | `LEASE_INVALID` | [`queue`](crate::queue), [`space`](crate::space) | a lease length of 0, above the maximum, or not a whole number of milliseconds; nothing was taken |

use core::fmt;

/// An error with a stable, machine-readable code (see the [module table](self)).
///
/// Each error type also has `code()` as an inherent method, so calling it needs no import; the
/// trait is for code generic over errors (it is in [`prelude`](crate::prelude)).
///
/// ```
/// use lindy::ErrorCode;
///
/// fn log_code(err: &impl ErrorCode) -> String {
///     format!("[{}]", err.code())
/// }
/// assert_eq!(log_code(&lindy::Full(1)), "[BUFFER_FULL]");
/// ```
pub trait ErrorCode {
    /// The stable code, e.g. `"CHANNEL_INVALID"`.
    ///
    /// ```
    /// use lindy::ErrorCode;
    /// let err: &dyn ErrorCode = &lindy::Closed(());
    /// assert_eq!(err.code(), "CLOSED");
    /// ```
    fn code(&self) -> &'static str;
}

/// The stable codes as constants, so matching on a code never depends on a string literal.
///
/// ```
/// use lindy::error::codes;
/// let err = lindy::grammar::Name::parse("nope").unwrap_err();
/// assert_eq!(err.code(), codes::CHANNEL_INVALID);
/// ```
pub mod codes {
    #![allow(missing_docs)]
    pub const CHANNEL_INVALID: &str = "CHANNEL_INVALID";
    pub const PATTERN_INVALID: &str = "PATTERN_INVALID";
    pub const CHANNEL_NOT_FOUND: &str = "CHANNEL_NOT_FOUND";
    pub const CHANNEL_EXISTS: &str = "CHANNEL_EXISTS";
    pub const CHANNEL_CLOSED: &str = "CHANNEL_CLOSED";
    pub const CHANNEL_TTL_EXCEEDS_MAX: &str = "CHANNEL_TTL_EXCEEDS_MAX";
    pub const BUFFER_FULL: &str = "BUFFER_FULL";
    pub const BUFFER_EMPTY: &str = "BUFFER_EMPTY";
    pub const CLOSED: &str = "CLOSED";
    pub const INVALID_PATH: &str = "INVALID_PATH";
    pub const INVALID_CONFIG: &str = "INVALID_CONFIG";
    pub const KEY_INVALID: &str = "KEY_INVALID";
    pub const VALUE_TOO_LARGE: &str = "VALUE_TOO_LARGE";
    pub const STORE_CORRUPT: &str = "STORE_CORRUPT";
    pub const STORE_POISONED: &str = "STORE_POISONED";
    pub const IO: &str = "IO";
    pub const SEQUENCE_EXHAUSTED: &str = "SEQUENCE_EXHAUSTED";
    pub const TIMEOUT: &str = "TIMEOUT";
    pub const LEASE_LOST: &str = "LEASE_LOST";
    pub const LEASE_INVALID: &str = "LEASE_INVALID";
}

/// The target was closed. Carries the value the caller tried to hand in (`Closed<T>`), so nothing
/// is lost; waits that had nothing to hand in use `Closed<()>` (the default).
///
/// ```
/// use lindy::stream::{Streams, TryWriteError};
/// let hub = Streams::new();
/// let w = hub.writer("p").unwrap();
/// hub.close();
/// let Err(TryWriteError::Closed(lindy::Closed(back))) = w.try_write("v") else { panic!() };
/// assert_eq!(back, "v"); // handed back, not lost
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Closed<T = ()>(pub T);

impl<T> Closed<T> {
    /// Takes the value back.
    ///
    /// ```
    /// assert_eq!(lindy::Closed("job").into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }

    /// `"CLOSED"` (see the [module table](self)).
    ///
    /// ```
    /// assert_eq!(lindy::Closed(()).code(), "CLOSED");
    /// ```
    pub const fn code(&self) -> &'static str {
        codes::CLOSED
    }
}

impl<T> fmt::Debug for Closed<T> {
    // Values need not be `Debug`; what matters in a log is that it was closed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closed(..)")
    }
}

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("closed")
    }
}

impl<T> ErrorCode for Closed<T> {
    fn code(&self) -> &'static str {
        Closed::code(self)
    }
}

impl<T> core::error::Error for Closed<T> {}

/// No room: carries the value back to the caller.
///
/// ```
/// use lindy::stream::{Streams, TryWriteError};
/// let hub = Streams::from_config([("buffer_size", "1")]).unwrap();
/// let w = hub.writer("p").unwrap();
/// w.try_write("first").unwrap();
/// let Err(TryWriteError::Full(lindy::Full(back))) = w.try_write("second") else { panic!() };
/// assert_eq!(back, "second");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// Takes the value back.
    ///
    /// ```
    /// assert_eq!(lindy::Full(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }

    /// `"BUFFER_FULL"` (see the [module table](self)).
    ///
    /// ```
    /// assert_eq!(lindy::Full(7).code(), "BUFFER_FULL");
    /// ```
    pub const fn code(&self) -> &'static str {
        codes::BUFFER_FULL
    }
}

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer full")
    }
}

impl<T> ErrorCode for Full<T> {
    fn code(&self) -> &'static str {
        Full::code(self)
    }
}

impl<T> core::error::Error for Full<T> {}

/// Why a non-waiting receive (`try_recv`) returned nothing — the same two cases as tokio's
/// `TryRecvError`. Used by [`Reader::try_recv`](crate::stream::Reader::try_recv) and
/// [`Subscription::try_recv`](crate::channels::Subscription::try_recv).
///
/// ```
/// use lindy::error::TryRecvError;
/// use lindy::stream::Streams;
///
/// let hub: Streams = Streams::new();
/// let writer = hub.writer("p").unwrap();
/// let mut reader = hub.reader("p").unwrap();
/// assert_eq!(reader.try_recv(), Err(TryRecvError::Empty)); // nothing yet: try again later
/// writer.try_write("x").unwrap();
/// drop(writer); // the last writer closed: the stream ends once drained
/// assert_eq!(reader.try_recv().as_deref(), Ok(&b"x"[..]));
/// assert_eq!(reader.try_recv(), Err(TryRecvError::Closed)); // nothing will ever come
/// assert_eq!(TryRecvError::Closed.code(), "CLOSED");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing is there now; more may come (`BUFFER_EMPTY`).
    Empty,
    /// Nothing is there and nothing will ever come: the source ended or is gone (`CLOSED`).
    Closed,
}

impl TryRecvError {
    /// `"BUFFER_EMPTY"` or `"CLOSED"` (see the [module table](self)).
    ///
    /// ```
    /// assert_eq!(lindy::error::TryRecvError::Empty.code(), "BUFFER_EMPTY");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            TryRecvError::Empty => codes::BUFFER_EMPTY,
            TryRecvError::Closed => codes::CLOSED,
        }
    }

    /// Whether nothing will ever come (as opposed to: nothing yet).
    ///
    /// ```
    /// assert!(lindy::error::TryRecvError::Closed.is_closed());
    /// ```
    pub const fn is_closed(&self) -> bool {
        matches!(self, TryRecvError::Closed)
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "nothing to receive yet",
            TryRecvError::Closed => "closed: nothing more will arrive",
        })
    }
}

impl ErrorCode for TryRecvError {
    fn code(&self) -> &'static str {
        TryRecvError::code(self)
    }
}

impl core::error::Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_errors_hand_the_value_back() {
        let e = Full(String::from("x"));
        assert_eq!(e.code(), "BUFFER_FULL");
        assert_eq!(e.into_inner(), "x");
        let c = Closed(7u8);
        assert_eq!(c.code(), "CLOSED");
        assert_eq!(c.to_string(), "closed");
        assert_eq!(c.into_inner(), 7);
    }

    extern crate std;
    use std::string::{String, ToString};
}
