//! Errors with stable codes.
//!
//! Every error type in lindy implements [`ErrorCode`]: `err.code()` returns one of the strings
//! below, the same in Rust, in JavaScript (`err.code`) and in logs. Codes are part of the public
//! API: they are never renamed, only added. The JS package adds the codes only JS raises
//! (`ABORTED`, `NOT_CLONEABLE`, `STORE_LOCKED`: see `lindy_wasm::codes` in `crates/lindy-wasm`).
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
//! | `TIMEOUT` | waiting adapters | a wait ran out of time; nothing was taken |
//! | `LEASE_LOST` | [`queue`](crate::queue), [`space`](crate::space), the JS fan-out hub | no live lease has that id: it expired (its entry is back at the head of its key, or dead-lettered), was settled, or was never issued |
//! | `LEASE_INVALID` | [`queue`](crate::queue), [`space`](crate::space) | a lease length of 0, above the maximum, or not a whole number of milliseconds; nothing was taken |

use core::fmt;

/// An error with a stable, machine-readable code (see the [module table](self)).
pub trait ErrorCode {
    /// The stable code, e.g. `"CHANNEL_INVALID"`.
    fn code(&self) -> &'static str;
}

/// The stable codes as constants, so matching on a code never depends on a string literal.
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
    pub const TIMEOUT: &str = "TIMEOUT";
    pub const LEASE_LOST: &str = "LEASE_LOST";
    pub const LEASE_INVALID: &str = "LEASE_INVALID";
}

/// The target was closed. Carries the value the caller tried to hand in (`Closed<T>`), so nothing
/// is lost; waits that had nothing to hand in use `Closed<()>` (the default).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Closed<T = ()>(pub T);

impl<T> Closed<T> {
    /// Takes the value back.
    pub fn into_inner(self) -> T {
        self.0
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
        codes::CLOSED
    }
}

impl<T> core::error::Error for Closed<T> {}

/// No room: carries the value back to the caller.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// Takes the value back.
    pub fn into_inner(self) -> T {
        self.0
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
        codes::BUFFER_FULL
    }
}

impl<T> core::error::Error for Full<T> {}

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
