//! The future behind [`LocalSpace::take_leased`]: a waiting take under a lease.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::waiters::Wake;
use super::{Lease, LocalSpace};
use crate::channels::Clock;
use crate::queue::{check_lease_ms, Claim, TakeLeasedError, TakeOrWait, WaiterId};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Takes the head entry of one key under a lease, waiting until there is one: the future returned
/// by [`LocalSpace::take_leased`]. The lease starts when the future resolves (at `clock`'s now),
/// not when it started waiting.
///
/// ```
/// use lindy::space::LocalSpace;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::new();
/// space.try_push("jobs", 1).unwrap();
/// let lease = space.take_leased("jobs", Some(100), || 5).await.unwrap();
/// assert_eq!((lease.value, lease.deadline), (1, 105));
/// # });
/// ```
///
/// # Cancel safety
/// Cancel-safe, as [`Take`](super::Take): an entry handed to a dropped future goes back to the
/// head of its key with its age, and no lease is created.
#[must_use = "futures do nothing unless polled"]
pub struct TakeLeased<'a, V, C, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    lease_ms: Option<u64>,
    clock: C,
    waiter: Option<WaiterId>,
    done: bool,
}

impl<'a, V, C, R: RawMutex> TakeLeased<'a, V, C, R> {
    pub(crate) fn new(
        space: &'a LocalSpace<V, R>,
        key: &'a str,
        lease_ms: Option<u64>,
        clock: C,
    ) -> Self {
        TakeLeased {
            space,
            key,
            lease_ms,
            clock,
            waiter: None,
            done: false,
        }
    }

    /// The key this future takes from.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.take_leased("jobs", None, || 0).key(), "jobs");
    /// ```
    pub fn key(&self) -> &'a str {
        self.key
    }
}

// The clock is only called, never pinned.
impl<V, C, R: RawMutex> Unpin for TakeLeased<'_, V, C, R> {}

impl<V: Clone, C: Clock, R: RawMutex> Future for TakeLeased<'_, V, C, R> {
    type Output = Result<Lease<V>, TakeLeasedError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending;
        }
        let (space, key, ms, waiter) = (this.space, this.key, this.lease_ms, &mut this.waiter);
        let clock = &this.clock;
        let poll = space.with(|e| {
            // Checked before anything is taken or registered.
            if check_lease_ms(ms.unwrap_or(e.config_default_lease_ms())).is_err() {
                return Poll::Ready(Err(TakeLeasedError::Invalid));
            }
            let taken = match *waiter {
                None => match e.take_or_wait_with(key, || Wake::task(cx)) {
                    Ok(TakeOrWait::Taken(t)) => t,
                    Ok(TakeOrWait::Waiting(id)) => {
                        *waiter = Some(id);
                        return Poll::Pending;
                    }
                    Err(_) => return Poll::Ready(Err(TakeLeasedError::Closed)),
                },
                Some(id) => match e.claim(id) {
                    Claim::Pending => {
                        if let Some(w) = e.payload_mut(id) {
                            w.refresh(cx);
                        }
                        return Poll::Pending;
                    }
                    Claim::Taken(t) | Claim::Matched(_, t) => {
                        *waiter = None;
                        t
                    }
                    _ => {
                        *waiter = None;
                        return Poll::Ready(Err(TakeLeasedError::Closed));
                    }
                },
            };
            match e.lease(key, taken, ms, clock.now_ms()) {
                Ok(l) => Poll::Ready(Ok(Lease {
                    id: l.id,
                    value: l.value.clone(),
                    deliveries: l.deliveries,
                    deadline: l.deadline,
                })),
                // Not reached (the length was checked above); the entry went back if it were.
                Err((_, taken)) => {
                    let _ = e.put_back(key, taken);
                    Poll::Ready(Err(TakeLeasedError::Invalid))
                }
            }
        });
        this.done = poll.is_ready();
        poll
    }
}

impl<V: Clone, C: Clock, R: RawMutex> FusedFuture for TakeLeased<'_, V, C, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, C, R: RawMutex> Drop for TakeLeased<'_, V, C, R> {
    fn drop(&mut self) {
        if let Some(id) = self.waiter.take() {
            let dropped = self.space.with(|e| e.cancel(id));
            drop(dropped);
        }
    }
}

impl<V, C, R: RawMutex> fmt::Debug for TakeLeased<'_, V, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakeLeased")
            .field("key", &self.key)
            .field("lease_ms", &self.lease_ms)
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
