//! Thread-blocking forms of the waiting operations, for `std` users without an async runtime.
//!
//! The blocking takes register the thread itself as a waiting taker with a hand-off slot in its
//! frame ([`hand_off`](super::hand_off)): the `out` that serves it moves the entry into the slot
//! and wakes the thread, which returns without locking the space again. A take that times out
//! cancels under the lock and takes nothing (unless the entry was handed over first: then it
//! returns it). The other waits (`peek_timeout`) drive their cancel-safe future on the calling
//! thread: poll, park until the future's waker unparks the thread (or the deadline passes), poll
//! again; a wait that times out drops the future, which takes nothing.

use core::fmt;
use std::time::{Duration, Instant};

use super::hand_off::{HandOff, SlotRef};
use super::waiters::Wake;
use super::{Key, LocalSpace};
use crate::error::{codes, Closed, ErrorCode};
use crate::queue::{TakeOrWait, TryTakeError, WaiterId};
use crate::sync::blocking::{block_on_until, spin_until, with_thread_wait};
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
        self.take_handed_off(key, None, None)
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
        self.take_handed_off(key, None, Some(timeout))
    }

    /// The blocking takes: one lock round trip takes the head if there is one (the common case
    /// when the consumer is behind: no waker, no slot); else a second one takes it or registers
    /// this thread as a waiting taker with a hand-off slot in this frame. An `out` then moves its
    /// entry into the slot under the lock and wakes the thread, which reads it without locking
    /// the space again (`hand_off` has the protocol): a wait costs two lock round trips, not
    /// three (try, register, claim — `docs/benchmarks/threads.md`, lever 12).
    fn take_handed_off(
        &self,
        key: &str,
        hash: Option<u64>,
        timeout: Option<Duration>,
    ) -> Result<V, WaitError> {
        // Try first, then register: an entry pushed between the two round trips is taken
        // without a wait. Registering at once was measured slower (lever 12): every wait costs
        // the producer a hand-off and a wake-up, and the second look avoids a share of them.
        match self.with(|e| match hash {
            Some(h) => e.try_take_hashed(h, key),
            None => e.try_take(key),
        }) {
            Ok(t) => return Ok(t.value),
            Err(TryTakeError::Closed) => return Err(WaitError::Closed),
            Err(TryTakeError::Empty) => {}
        }
        with_thread_wait(|thread| {
            let slot = HandOff::new();
            let wake = || Wake::HandOff {
                slot: SlotRef::new(&slot),
                waker: thread.waker().clone(),
            };
            let id = match self.with(|e| match hash {
                Some(h) => e.take_or_wait_with_hashed(h, key, wake),
                None => e.take_or_wait_with(key, wake),
            }) {
                Ok(TakeOrWait::Taken(t)) => return Ok(t.value),
                Ok(TakeOrWait::Waiting(id)) => id,
                Err(_) => return Err(WaitError::Closed),
            };
            // From here on `slot` may be filled by another thread; `waiting` keeps this frame
            // (and so the slot) alive until no filler can come, even on an unwind.
            let mut waiting = Waiting {
                space: self,
                slot: &slot,
                id: Some(id),
            };
            // A timeout too large for the clock means "no timeout".
            let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
            // Spin on the slot itself (a filler on the other core usually answers within the
            // spin, and then wakes nobody), then announce the sleep and sleep until woken.
            let mut handed = None;
            spin_until(|| {
                handed = slot.try_take();
                handed.is_some()
            });
            if handed.is_none() && !slot.will_sleep() {
                handed = slot.try_take(); // filled between the spin and the announcement
            }
            loop {
                if let Some(h) = handed.take().or_else(|| slot.try_take()) {
                    waiting.id = None; // claimed by the filler: nothing to cancel
                    return h.ok_or(WaitError::Closed);
                }
                if !thread.sleep(deadline) {
                    return match waiting.give_up() {
                        Some(handed) => handed, // handed over as the deadline passed: keep it
                        None => Err(WaitError::TimedOut),
                    };
                }
            }
        })
    }
}

/// A blocking take registered with a hand-off slot, until it has its entry or gave up.
struct Waiting<'a, V, R: RawMutex> {
    space: &'a LocalSpace<V, R>,
    slot: &'a HandOff<V>,
    /// The waiter id while a filler may still come.
    id: Option<WaiterId>,
}

impl<V, R: RawMutex> Waiting<'_, V, R> {
    /// Gives up waiting, under the space's lock (where every filler runs): `Some` with what the
    /// slot was handed if a filler came first (an entry — taken after all — or closed), or
    /// `None` once the waiter is cancelled, after which nothing refers to the slot.
    fn give_up(&mut self) -> Option<Result<V, WaitError>> {
        let id = self.id.take()?;
        let slot = self.slot;
        self.space.with(|e| match slot.try_take() {
            Some(handed) => Some(handed.ok_or(WaitError::Closed)),
            None => {
                // Still waiting: the cancel unlinks and frees the waiter; it takes nothing and
                // hands nothing back (that is a producer's or a reader's cancel).
                let _ = e.cancel(id);
                None
            }
        })
    }
}

impl<V, R: RawMutex> Drop for Waiting<'_, V, R> {
    fn drop(&mut self) {
        // Only on an unwind out of the wait (the normal paths cleared `id`): the frame, and the
        // slot with it, must not go while a filler may come. An entry handed in meanwhile was
        // this taker's, as a returned value would have been; it is dropped with the frame.
        drop(self.give_up());
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
        self.space()
            .take_handed_off(self.name(), Some(self.hash()), None)
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
        self.space()
            .take_handed_off(self.name(), Some(self.hash()), Some(timeout))
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
