//! The future behind [`LocalSpace::peek`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::waiters::Wake;
use super::LocalSpace;
use crate::error::Closed;
use crate::queue::{Claim, PeekOrWait, WaiterId};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Reads (clones) the head entry of one key without removing it, waiting until there is one: the
/// future returned by [`LocalSpace::peek`].
///
/// Every reader waiting on a key gets a clone of the next entry that arrives for it, even one
/// handed straight to a waiting taker.
///
/// ```
/// use lindy::space::LocalSpace;
/// use futures::FutureExt;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::new();
/// let mut reader = space.peek("config");
/// assert!((&mut reader).now_or_never().is_none()); // waits
/// space.try_push("config", 7).unwrap();
/// assert_eq!(reader.await, Ok(7));
/// assert_eq!(space.try_take("config"), Some(7)); // a peek leaves it there
/// # });
/// ```
///
/// # Cancel safety
/// Cancel-safe: a read removes nothing, so dropping it at any point changes nothing in the space.
#[must_use = "futures do nothing unless polled"]
pub struct Peek<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    waiter: Option<WaiterId>,
    /// Resolved: polling again returns `Pending` (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> Peek<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        Peek {
            space,
            key,
            waiter: None,
            done: false,
        }
    }

    /// The key this future reads.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.peek("config").key(), "config");
    /// ```
    pub fn key(&self) -> &'a str {
        self.key
    }
}

impl<V: Clone, R: RawMutex> Future for Peek<'_, V, R> {
    type Output = Result<V, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending;
        }
        let (space, key, waiter) = (this.space, this.key, &mut this.waiter);
        let poll = space.with(|e| match *waiter {
            None => match e.peek_or_wait(key, Wake::task(cx)) {
                Ok(PeekOrWait::Peeked(v)) => Poll::Ready(Ok(v)),
                Ok(PeekOrWait::Waiting(id)) => {
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
                Claim::Read(v) => {
                    *waiter = None;
                    Poll::Ready(Ok(v))
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

impl<V: Clone, R: RawMutex> FusedFuture for Peek<'_, V, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, R: RawMutex> Drop for Peek<'_, V, R> {
    fn drop(&mut self) {
        if let Some(id) = self.waiter.take() {
            let dropped = self.space.with(|e| e.cancel(id));
            drop(dropped); // an unclaimed clone, dropped outside the lock
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for Peek<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peek")
            .field("key", &self.key)
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// Renamed [`Peek`].
#[deprecated(since = "0.2.0", note = "renamed to `Peek`")]
pub type Read<'a, V, R = DefaultRawMutex> = Peek<'a, V, R>;
