//! Thread-blocking forms of the waiting operations, for `std` users without an async runtime.
//!
//! They drive the same cancel-safe futures on the calling thread: poll, park the thread until the
//! future's waker unparks it (or the deadline passes), poll again. A wait that times out simply
//! drops the future, which takes nothing.

use core::fmt;
use std::time::{Duration, Instant};

use super::LocalSpace;
use crate::error::{codes, Closed, ErrorCode};
use crate::queue::TryTakeError;
use crate::sync::blocking::block_on_until;
use crate::sync::RawMutex;

/// Why a blocking wait on the space ended without a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitError {
    /// The space was closed before an entry came (code `CLOSED`).
    Closed,
    /// The timeout ran out before an entry came; nothing was taken (code `TIMEOUT`).
    TimedOut,
}

impl From<Closed> for WaitError {
    fn from(_: Closed) -> Self {
        WaitError::Closed
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitError::Closed => "space closed while waiting on a key",
            WaitError::TimedOut => "timed out waiting on a key of the space; nothing was taken",
        })
    }
}

impl WaitError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    pub fn code(&self) -> &'static str {
        match self {
            WaitError::Closed => codes::CLOSED,
            WaitError::TimedOut => codes::TIMEOUT,
        }
    }
}

impl ErrorCode for WaitError {
    fn code(&self) -> &'static str {
        WaitError::code(self)
    }
}

impl std::error::Error for WaitError {}

/// The waker of a thread blocked on a future: a flag, plus an unpark when the thread may sleep.
impl<V, R: RawMutex> LocalSpace<V, R> {
    /// The fast path of the blocking takes: an entry is there (the common case when the consumer
    /// is behind), so one lock, no future, no waker. Same semantics as the first poll of `take`.
    fn take_now(&self, key: &str) -> Result<Option<V>, WaitError> {
        match self.with(|e| e.try_take(key)) {
            Ok(t) => Ok(Some(t.value)),
            Err(TryTakeError::Empty) => Ok(None),
            Err(TryTakeError::Closed) => Err(WaitError::Closed),
        }
    }

    /// Takes the head entry of `key`, blocking the calling thread until there is one.
    ///
    /// For threads without an async runtime; never call it from inside an async task (it would
    /// block the executor). Allocates nothing.
    ///
    /// # Errors
    /// [`WaitError::Closed`] once the space is closed and `key` is drained.
    pub fn take_blocking(&self, key: &str) -> Result<V, WaitError> {
        if let Some(v) = self.take_now(key)? {
            return Ok(v);
        }
        match block_on_until(self.take(key), None) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut), // no deadline: never happens
        }
    }

    /// Takes the head entry of `key`, blocking the calling thread for at most `timeout`.
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time (nothing was taken), or
    /// [`WaitError::Closed`] once the space is closed.
    pub fn take_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        if let Some(v) = self.take_now(key)? {
            return Ok(v);
        }
        // A timeout too large for the clock means "no timeout".
        let deadline = Instant::now().checked_add(timeout);
        match block_on_until(self.take(key), deadline) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut),
        }
    }
}

impl<V: Clone, R: RawMutex> LocalSpace<V, R> {
    /// Reads a clone of the head entry of `key`, blocking the calling thread for at most
    /// `timeout` (see [`peek`](Self::peek)).
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time, [`WaitError::Closed`] once closed.
    pub fn peek_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        let deadline = Instant::now().checked_add(timeout);
        match block_on_until(self.peek(key), deadline) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut),
        }
    }

    /// Renamed [`peek_timeout`](Self::peek_timeout).
    #[deprecated(since = "0.2.0", note = "renamed to `peek_timeout`")]
    pub fn read_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        self.peek_timeout(key, timeout)
    }
}
