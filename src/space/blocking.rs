//! Thread-blocking forms of the waiting operations, for `std` users without an async runtime.
//!
//! They drive the same cancel-safe futures on the calling thread: poll, park the thread until the
//! future's waker unparks it (or the deadline passes), poll again. A wait that times out simply
//! drops the future, which takes nothing.

use core::fmt;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::LocalSpace;
use crate::error::{codes, Closed, ErrorCode};
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

impl ErrorCode for WaitError {
    fn code(&self) -> &'static str {
        match self {
            WaitError::Closed => codes::CLOSED,
            WaitError::TimedOut => codes::TIMEOUT,
        }
    }
}

impl std::error::Error for WaitError {}

/// Unparks the thread that is blocked on a future.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

std::thread_local! {
    // One waker per thread, made once: a blocking wait allocates nothing.
    static THREAD_WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Polls `fut` on this thread until it is ready, or until `deadline` passes (then `None`, and
/// `fut` is dropped: the futures of the space are cancel-safe, so nothing was taken).
pub(crate) fn block_on_until<F: Future>(fut: F, deadline: Instant) -> Option<F::Output> {
    let mut fut = pin!(fut);
    THREAD_WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return Some(v);
            }
            // `park_timeout` may return early (spuriously, or for an older unpark): re-polling is
            // always correct, since a poll that finds nothing re-registers.
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            thread::park_timeout(deadline - now);
        }
    })
}

/// Polls `fut` on this thread until it is ready.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    THREAD_WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            thread::park();
        }
    })
}

impl<V, R: RawMutex> LocalSpace<V, R> {
    /// Takes the head entry of `key`, blocking the calling thread until there is one.
    ///
    /// For threads without an async runtime; never call it from inside an async task (it would
    /// block the executor). Allocates nothing.
    ///
    /// # Errors
    /// [`WaitError::Closed`] once the space is closed.
    pub fn take_blocking(&self, key: &str) -> Result<V, WaitError> {
        Ok(block_on(self.take(key))?)
    }

    /// Takes the head entry of `key`, blocking the calling thread for at most `timeout`.
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time (nothing was taken), or
    /// [`WaitError::Closed`] once the space is closed.
    pub fn take_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        // A timeout too large for the clock means "no timeout".
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return self.take_blocking(key);
        };
        match block_on_until(self.take(key), deadline) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut),
        }
    }
}

impl<V: Clone, R: RawMutex> LocalSpace<V, R> {
    /// Reads a clone of the head entry of `key`, blocking the calling thread for at most
    /// `timeout` (see [`read`](Self::read)).
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time, [`WaitError::Closed`] once closed.
    pub fn read_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Ok(block_on(self.read(key))?);
        };
        match block_on_until(self.read(key), deadline) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut),
        }
    }
}
