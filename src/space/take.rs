//! The future behind [`LocalSpace::take`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::waiters::Wake;
use super::LocalSpace;
use crate::error::Closed;
use crate::queue::{Claim, TakeOrWait, WaiterId};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Takes the head entry of one key, waiting until there is one: the future returned by
/// [`LocalSpace::take`].
///
/// ```
/// use lindy::space::LocalSpace;
/// use futures::FutureExt;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::new();
/// let mut first = space.take("jobs");
/// assert!((&mut first).now_or_never().is_none()); // waits
/// drop(first); // cancelled: takes nothing
/// space.try_push("jobs", 1).unwrap();
/// assert_eq!(space.take("jobs").await, Ok(1));
/// # });
/// ```
///
/// # Cancel safety
/// Cancel-safe. An `out` hands its entry straight to the oldest waiting taker; if that taker's
/// future is dropped before it is polled again, the entry goes back to the head of its key with
/// its age, and on to the next waiting taker. So dropping the future at any point loses nothing
/// and strands no other taker.
///
/// # Order
/// Takers of one key are served first come, first served, with the key's pattern takers (see
/// [`TakeMatching`](super::TakeMatching)). Since the entry is handed over, nothing can barge in
/// between the wake-up and the poll: a woken taker always gets its entry.
#[must_use = "futures do nothing unless polled"]
pub struct Take<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    /// The key's hash in the space's table, when a [`Key`](super::Key) handle made this future.
    hash: Option<u64>,
    /// Our waiter id while we wait.
    waiter: Option<WaiterId>,
    /// Resolved: polling again returns `Pending` and takes nothing (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> Take<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        Take {
            space,
            key,
            hash: None,
            waiter: None,
            done: false,
        }
    }

    /// A take whose key's hash is known (from a [`Key`](super::Key) handle of `space`).
    pub(crate) fn with_hash(space: &'a LocalSpace<V, R>, key: &'a str, hash: u64) -> Self {
        Take {
            hash: Some(hash),
            ..Self::new(space, key)
        }
    }

    /// The key this future takes from.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.take("jobs").key(), "jobs");
    /// ```
    pub fn key(&self) -> &'a str {
        self.key
    }
}

impl<V, R: RawMutex> Future for Take<'_, V, R> {
    type Output = Result<V, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending; // polled after completion: take nothing more
        }
        let (space, key, hash, waiter) = (this.space, this.key, this.hash, &mut this.waiter);
        let poll = space.with(|e| match *waiter {
            None => match match hash {
                Some(h) => e.take_or_wait_with_hashed(h, key, || Wake::task(cx)),
                None => e.take_or_wait_with(key, || Wake::task(cx)),
            } {
                Ok(TakeOrWait::Taken(t)) => Poll::Ready(Ok(t.value)),
                Ok(TakeOrWait::Waiting(id)) => {
                    *waiter = Some(id);
                    Poll::Pending
                }
                Err(_) => Poll::Ready(Err(Closed(()))),
            },
            Some(id) => match e.claim(id) {
                Claim::Pending => {
                    if let Some(w) = e.payload_mut(id) {
                        w.refresh(cx);
                    }
                    Poll::Pending
                }
                Claim::Taken(t) | Claim::Matched(_, t) => {
                    *waiter = None;
                    Poll::Ready(Ok(t.value))
                }
                _ => {
                    *waiter = None;
                    Poll::Ready(Err(Closed(())))
                }
            },
        });
        this.done = poll.is_ready();
        poll
    }
}

impl<V, R: RawMutex> FusedFuture for Take<'_, V, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, R: RawMutex> Drop for Take<'_, V, R> {
    fn drop(&mut self) {
        // Never registered, or already finished: nothing to undo, no lock taken.
        if let Some(id) = self.waiter.take() {
            let dropped = self.space.with(|e| e.cancel(id));
            drop(dropped); // outside the lock
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for Take<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("key", &self.key)
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
