//! The future behind [`LocalSpace::push`]: a push that waits for room.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::waiters::Wake;
use super::LocalSpace;
use crate::queue::{Claim, PushError, PushOrWait, WaiterId};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Appends a value under a key, waiting for room in a bounded space: the future returned by
/// [`LocalSpace::push`]. In an unbounded space it is ready on the first poll.
///
/// While it waits, the space holds the value in its waiting room: producers of a key are let in
/// first come, first served, the moment room frees (or a taker arrives to hand it to). Room is
/// then reserved for this producer, and its value goes in when the future is polled.
///
/// ```
/// use lindy::queue::Config;
/// use lindy::space::LocalSpace;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::with_config(Config::new().max_entries(1)).unwrap();
/// space.try_push("a", 1).unwrap();
/// let waiting = space.push("b", 2); // full: waits for room
/// assert_eq!(space.try_take("a"), Some(1));
/// waiting.await.unwrap();
/// assert_eq!(space.try_take("b"), Some(2));
/// # });
/// ```
///
/// # Cancel safety
/// Cancel-safe: the value is in the space exactly when the future resolved `Ok` (tokio's `send`
/// contract). Dropped before that — waiting, or let in but not yet polled — the value is taken
/// back out of the waiting room and dropped, its reserved room goes to the next producer, and
/// nothing else changes.
#[must_use = "futures do nothing unless polled"]
pub struct Push<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    value: Option<V>,
    waiter: Option<WaiterId>,
    done: bool,
}

// The value is only moved, never pinned.
impl<V, R: RawMutex> Unpin for Push<'_, V, R> {}

impl<'a, V, R: RawMutex> Push<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str, value: V) -> Self {
        Push {
            space,
            key,
            value: Some(value),
            waiter: None,
            done: false,
        }
    }

    /// The key this future puts under.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.push("jobs", 1).key(), "jobs");
    /// ```
    pub fn key(&self) -> &'a str {
        self.key
    }
}

impl<V, R: RawMutex> Future for Push<'_, V, R> {
    type Output = Result<(), PushError<V>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending;
        }
        let (space, key, waiter) = (this.space, this.key, &mut this.waiter);
        let value = &mut this.value;
        let poll = space.with(|e| match *waiter {
            None => {
                let Some(v) = value.take() else {
                    return Poll::Pending; // not reached: the value is there until it goes in
                };
                match e.try_push(key, v) {
                    Ok(_) => Poll::Ready(Ok(())),
                    Err(PushError::Full(v)) => match e.push_or_wait(key, v, Wake::task(cx)) {
                        Ok(PushOrWait::Done(_)) => Poll::Ready(Ok(())),
                        Ok(PushOrWait::Waiting(id)) => {
                            *waiter = Some(id);
                            Poll::Pending
                        }
                        Err(err) => Poll::Ready(Err(err)),
                    },
                    Err(err) => Poll::Ready(Err(err)),
                }
            }
            Some(id) => match e.claim(id) {
                Claim::Pending => {
                    if let Some(w) = e.payload_mut(id) {
                        w.refresh(cx);
                    }
                    Poll::Pending
                }
                Claim::Stored => {
                    *waiter = None;
                    Poll::Ready(Ok(()))
                }
                Claim::Refused(v) => {
                    *waiter = None;
                    Poll::Ready(Err(PushError::Closed(v)))
                }
                _ => {
                    *waiter = None;
                    Poll::Pending // not reached: a producer's claim is one of the above
                }
            },
        });
        this.done = poll.is_ready();
        poll
    }
}

impl<V, R: RawMutex> FusedFuture for Push<'_, V, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, R: RawMutex> Drop for Push<'_, V, R> {
    fn drop(&mut self) {
        if let Some(id) = self.waiter.take() {
            let value = self.space.with(|e| e.cancel(id));
            drop(value); // outside the lock
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for Push<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Push")
            .field("key", &self.key)
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// Renamed [`Push`].
#[deprecated(since = "0.2.0", note = "renamed to `Push`")]
pub type OutWait<'a, V, R = DefaultRawMutex> = Push<'a, V, R>;
