//! Thread-blocking conveniences over the async API (`std` only): the same futures, driven by a
//! tiny executor that parks the calling thread.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, Thread};

use super::locking::LockingRingBase;
use super::storage::Storage;
use crate::error::Closed;
use crate::sync::RawMutex;

/// Wakes a parked thread.
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
    // One waker per thread, made once: blocking calls allocate nothing after the first.
    static THREAD_WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Runs `fut` to completion on this thread, parking it while the future is pending. The unpark
/// token makes a wake-up that lands before `park` return at once: none is lost.
fn block_on<F: Future>(fut: F) -> F::Output {
    // `try_with` fails only while the thread's locals are being destroyed.
    let waker = THREAD_WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| Waker::from(Arc::new(Unparker(thread::current()))));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

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
        match self.try_push(value) {
            Ok(()) => Ok(()),
            Err(super::TryPushError::Closed(v)) => Err(Closed(v)),
            Err(super::TryPushError::Full(v)) => block_on(self.push(v)),
        }
    }

    /// Pops the oldest value, parking the calling thread while the ring is empty; `None` once the
    /// ring is closed and drained (for consumer threads; in async code use [`pop`](Self::pop)).
    pub fn pop_blocking(&self) -> Option<T> {
        match self.try_pop() {
            Ok(v) => Some(v),
            Err(super::TryPopError::Closed) => None,
            Err(super::TryPopError::Empty) => block_on(self.pop()),
        }
    }
}
