//! Thread-blocking conveniences over the async API (`std` only): the same futures, driven by a
//! tiny executor that parks the calling thread.

use core::hint::spin_loop;

use super::error::{TryPushError, TryTakeError};
use super::locking::LockingRingBase;
use super::storage::Storage;
use crate::error::Closed;
use crate::sync::blocking::block_on;
use crate::sync::RawMutex;

/// Tries before joining a wait queue, with exponentially longer busy-waits between them
/// (crossbeam's `Backoff` spin phase: `2^step` spin hints, 15 in all), watching the slot this
/// side would use next. A partner on the other core often answers within that window, and then
/// neither side touches the wait queues (a parked waiter makes the other side lock them to
/// notify it). Short, because the parking driver spins again after registering (127 hints,
/// `sync::blocking`): together about std's channel budget. 4 steps against 7 in the same hours
/// (`docs/benchmarks/threads.md`, lever 5): alike when idle, ahead in both loaded pairs. No
/// `yield_now` phase (it slowed the loaded regime: see `sync::blocking`).
const SPIN_STEPS: u32 = 4;

#[inline]
fn backoff(step: u32) {
    (0..1u32 << step).for_each(|_| spin_loop());
}

impl<T, S: Storage<T>, R: RawMutex> LockingRingBase<T, S, R> {
    /// Pushes `value`, parking the calling thread while the ring is full (for producer threads;
    /// in async code use [`push`](Self::push)). Never call it from inside an async task.
    ///
    /// A full ring is retried for a few microseconds before the thread joins the producers' wait
    /// queue (see `SPIN_STEPS`), so like [`try_push`](Self::try_push) it may overtake a producer
    /// that is already parked.
    ///
    /// # Errors
    /// `Closed(value)` (`CLOSED`) if the ring is or gets closed before there was room.
    ///
    /// ```
    /// use lindy::ring::LockingHeapRing;
    ///
    /// let ring = LockingHeapRing::with_capacity(16)?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         for i in 0..100 {
    ///             ring.push_blocking(i).unwrap();
    ///         }
    ///         ring.close();
    ///     });
    ///     let got: Vec<i32> = std::iter::from_fn(|| ring.take_blocking()).collect();
    ///     assert_eq!(got, (0..100).collect::<Vec<_>>());
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_blocking(&self, value: T) -> Result<(), Closed<T>> {
        let mut value = value;
        let mut step = 0;
        loop {
            match self.try_push(value) {
                Ok(()) => return Ok(()),
                Err(TryPushError::Closed(v)) => return Err(Closed(v)),
                Err(TryPushError::Full(v)) => value = v,
            }
            // Wait until the slot at `tail` shows room (or the ring closed); then try again.
            loop {
                if step == SPIN_STEPS {
                    return block_on(self.push(value));
                }
                backoff(step);
                step += 1;
                if self.push_ready() {
                    break;
                }
            }
        }
    }

    /// Takes the oldest value, parking the calling thread while the ring is empty; `None` once the
    /// ring is closed and drained (for consumer threads; in async code use [`take`](Self::take)).
    ///
    /// An empty ring is retried for a few microseconds before the thread joins the consumers'
    /// wait queue, so like [`try_take`](Self::try_take) it may overtake a parked consumer.
    ///
    /// ```
    /// use lindy::ring::LockingRing;
    ///
    /// let ring: LockingRing<u8, 2> = LockingRing::new();
    /// ring.push_blocking(7).unwrap();
    /// ring.close();
    /// assert_eq!(ring.take_blocking(), Some(7));
    /// assert_eq!(ring.take_blocking(), None);
    /// ```
    pub fn take_blocking(&self) -> Option<T> {
        let mut step = 0;
        loop {
            match self.try_take() {
                Ok(v) => return Some(v),
                Err(TryTakeError::Closed) => return None,
                Err(TryTakeError::Empty) => {}
            }
            // Wait until the slot at `head` shows a value. Only that slot is watched (not
            // `tail`, which the producer writes on every push): a close is seen by the future.
            loop {
                if step == SPIN_STEPS {
                    return block_on(self.take());
                }
                backoff(step);
                step += 1;
                if self.take_ready() {
                    break;
                }
            }
        }
    }

    /// Renamed [`take_blocking`](Self::take_blocking).
    #[deprecated(since = "0.2.0", note = "renamed to `take_blocking`")]
    pub fn pop_blocking(&self) -> Option<T> {
        self.take_blocking()
    }
}
