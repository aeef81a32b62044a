//! Thread-blocking conveniences over the async API (`std` only): the same futures, driven by a
//! tiny executor that parks the calling thread.

use super::locking::LockingRingBase;
use super::storage::Storage;
use crate::error::Closed;
use crate::sync::blocking::block_on;
use crate::sync::RawMutex;

impl<T, S: Storage<T>, R: RawMutex> LockingRingBase<T, S, R> {
    /// Pushes `value`, parking the calling thread while the ring is full (for producer threads;
    /// in async code use [`push`](Self::push)). Never call it from inside an async task.
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
    ///     let got: Vec<i32> = std::iter::from_fn(|| ring.pop_blocking()).collect();
    ///     assert_eq!(got, (0..100).collect::<Vec<_>>());
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_blocking(&self, value: T) -> Result<(), Closed<T>> {
        // The future's first poll is the `try_push` (one lock round trip whether or not it has
        // to wait); a future that never waited leaves without locking again.
        block_on(self.push(value))
    }

    /// Pops the oldest value, parking the calling thread while the ring is empty; `None` once the
    /// ring is closed and drained (for consumer threads; in async code use [`pop`](Self::pop)).
    pub fn pop_blocking(&self) -> Option<T> {
        block_on(self.pop())
    }
}
