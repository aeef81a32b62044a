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

use crate::sync::atomic::{AtomicBool, Ordering};
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

/// The waker of a thread blocked on a future: a flag, plus an unpark when the thread may sleep.
struct ThreadNotify {
    thread: Thread,
    /// Set by a wake-up, cleared by the thread before it re-polls.
    woken: AtomicBool,
}

impl Wake for ThreadNotify {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // A second wake-up before the thread re-polls needs no second unpark.
        if !self.woken.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

struct Blocker {
    notify: Arc<ThreadNotify>,
    waker: Waker,
}

std::thread_local! {
    // One waker per thread, made once: a blocking wait allocates nothing.
    static BLOCKER: Blocker = {
        let notify = Arc::new(ThreadNotify { thread: thread::current(), woken: AtomicBool::new(false) });
        Blocker { waker: Waker::from(notify.clone()), notify }
    };
}

impl Blocker {
    /// Waits for a wake-up until `deadline` (if any); `false` if the deadline passed first.
    ///
    /// No spinning first: on a loaded machine a spinning consumer takes the core its producer
    /// needs, and measurements here showed no gain from it.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        // `park` may return spuriously, or for an older unpark: the flag decides.
        while !self.notify.woken.swap(false, Ordering::Acquire) {
            match deadline {
                None => thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    thread::park_timeout(d - now);
                }
            }
        }
        true
    }
}

/// Polls `fut` on this thread until it is ready, or until `deadline` passes (then `None`, and
/// `fut` is dropped: the futures of the space are cancel-safe, so nothing was taken).
pub(crate) fn block_on_until<F: Future>(fut: F, deadline: Option<Instant>) -> Option<F::Output> {
    let mut fut = pin!(fut);
    BLOCKER.with(|b| {
        let mut cx = Context::from_waker(&b.waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return Some(v);
            }
            if !b.wait(deadline) {
                return None;
            }
        }
    })
}

impl<V, R: RawMutex> LocalSpace<V, R> {
    /// The fast path of the blocking takes: an entry is there (the common case when the consumer
    /// is behind), so one lock, no future, no waker. Same semantics as the first poll of `take`.
    fn take_now(&self, key: &str) -> Result<Option<V>, WaitError> {
        self.state
            .lock(|s| (!s.closed).then(|| s.try_take(key)))
            .ok_or(WaitError::Closed)
    }

    /// Takes the head entry of `key`, blocking the calling thread until there is one.
    ///
    /// For threads without an async runtime; never call it from inside an async task (it would
    /// block the executor). Allocates nothing.
    ///
    /// # Errors
    /// [`WaitError::Closed`] once the space is closed.
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
    /// `timeout` (see [`read`](Self::read)).
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] if no entry came in time, [`WaitError::Closed`] once closed.
    pub fn read_timeout(&self, key: &str, timeout: Duration) -> Result<V, WaitError> {
        let deadline = Instant::now().checked_add(timeout);
        match block_on_until(self.read(key), deadline) {
            Some(res) => Ok(res?),
            None => Err(WaitError::TimedOut),
        }
    }
}
