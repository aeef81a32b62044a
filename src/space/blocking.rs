//! Thread-blocking forms of the waiting operations, for `std` users without an async runtime.
//!
//! They drive the same cancel-safe futures on the calling thread: poll, park the thread until the
//! future's waker unparks it (or the deadline passes), poll again. A wait that times out simply
//! drops the future, which takes nothing.

use core::fmt;
use core::task::Waker;
use std::time::{Duration, Instant};

use super::{Key, LocalSpace};
use crate::error::{codes, Closed, ErrorCode};
use crate::queue::{Engine, Taken, TryTakeError};
use crate::sync::blocking::block_on_until;
use crate::sync::RawMutex;

/// Why a blocking wait on the space ended without a value.
///
/// ```
/// use lindy::space::{LocalSpace, WaitError};
/// use std::time::Duration;
/// let space = LocalSpace::<u32>::new();
/// assert_eq!(space.take_timeout("jobs", Duration::ZERO), Err(WaitError::TimedOut));
/// space.close();
/// assert_eq!(space.take_blocking("jobs"), Err(WaitError::Closed));
/// ```
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
    ///
    /// ```
    /// use lindy::space::WaitError;
    /// assert_eq!((WaitError::Closed.code(), WaitError::TimedOut.code()), ("CLOSED", "TIMEOUT"));
    /// ```
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

impl<V, R: RawMutex> LocalSpace<V, R> {
    /// Takes the head entry of `key`, blocking the calling thread until there is one.
    ///
    /// For threads without an async runtime; never call it from inside an async task (it would
    /// block the executor). Allocates nothing.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// use std::sync::Arc;
    /// let space = Arc::new(LocalSpace::<u32>::new());
    /// let producer = { let s = space.clone(); std::thread::spawn(move || s.try_push("jobs", 7)) };
    /// assert_eq!(space.take_blocking("jobs"), Ok(7));
    /// producer.join().unwrap().unwrap();
    /// ```
    ///
    /// # Errors
    /// [`WaitError::Closed`] once the space is closed and `key` is drained.
    pub fn take_blocking(&self, key: &str) -> Result<V, WaitError> {
        match self.take_now(|e| e.try_take(key))? {
            Some(v) => Ok(v),
            None => wait(self.take(key), None),
        }
    }

    /// Takes the head entry of `key`, blocking the calling thread for at most `timeout`.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, WaitError};
    /// use std::time::Duration;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.take_timeout("jobs", Duration::from_millis(1)), Err(WaitError::TimedOut));
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.take_timeout("jobs", Duration::from_millis(1)), Ok(1));
    /// ```
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time (nothing was taken), or
    /// [`WaitError::Closed`] once the space is closed.
    pub fn take_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        match self.take_now(|e| e.try_take(key))? {
            Some(v) => Ok(v),
            None => wait(self.take(key), Some(timeout)),
        }
    }

    /// The fast path of the blocking takes: an entry is there (the common case when the consumer
    /// is behind), so one lock round trip, no future, no thread-local, no waker. A wait then
    /// costs a third round trip (the future's first poll tries again before it registers); that
    /// is cheaper than setting up the future for every entry that is already there (measured:
    /// `docs/benchmarks/threads.md`, lever 6).
    fn take_now(
        &self,
        take: impl FnOnce(&mut Engine<V, Waker>) -> Result<Taken<V>, TryTakeError>,
    ) -> Result<Option<V>, WaitError> {
        match self.with(take) {
            Ok(t) => Ok(Some(t.value)),
            Err(TryTakeError::Empty) => Ok(None),
            Err(TryTakeError::Closed) => Err(WaitError::Closed),
        }
    }
}

/// Drives a take future on this thread until it resolves or `timeout` passes.
fn wait<V>(
    take: impl core::future::Future<Output = Result<V, Closed>>,
    timeout: Option<Duration>,
) -> Result<V, WaitError> {
    // A timeout too large for the clock means "no timeout".
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    match block_on_until(take, deadline) {
        Some(res) => Ok(res?),
        None => Err(WaitError::TimedOut),
    }
}

impl<V, R: RawMutex> Key<'_, V, R> {
    /// [`LocalSpace::take_blocking`] on this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(7).unwrap();
    /// assert_eq!(jobs.take_blocking(), Ok(7));
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::take_blocking`].
    pub fn take_blocking(&self) -> Result<V, WaitError> {
        let (hash, key) = (self.hash(), self.name());
        match self.space().take_now(|e| e.try_take_hashed(hash, key))? {
            Some(v) => Ok(v),
            None => wait(self.take(), None),
        }
    }

    /// [`LocalSpace::take_timeout`] on this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, WaitError};
    /// use std::time::Duration;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// assert_eq!(jobs.take_timeout(Duration::from_millis(1)), Err(WaitError::TimedOut));
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::take_timeout`].
    pub fn take_timeout(&self, timeout: Duration) -> Result<V, WaitError> {
        let (hash, key) = (self.hash(), self.name());
        match self.space().take_now(|e| e.try_take_hashed(hash, key))? {
            Some(v) => Ok(v),
            None => wait(self.take(), Some(timeout)),
        }
    }
}

impl<V: Clone, R: RawMutex> LocalSpace<V, R> {
    /// Reads a clone of the head entry of `key`, blocking the calling thread for at most
    /// `timeout` (see [`peek`](Self::peek)).
    ///
    /// ```
    /// use lindy::space::{LocalSpace, WaitError};
    /// use std::time::Duration;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.peek_timeout("config", Duration::from_millis(1)), Err(WaitError::TimedOut));
    /// space.try_push("config", 7).unwrap();
    /// assert_eq!(space.peek_timeout("config", Duration::from_millis(1)), Ok(7));
    /// ```
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
