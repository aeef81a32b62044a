//! Pattern take: take the oldest entry from any key that is a channel name matching a pattern.
//!
//! The order rules are documented on [`TakeMatching`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::waiters::Wake;
use super::LocalSpace;
use crate::error::Closed;
use crate::grammar::{Name, Pattern};
use crate::queue::{Claim, MatchOrWait, TryTakeError, WaiterId};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Takes the oldest entry from any key matching a pattern, waiting until there is one: the future
/// returned by [`LocalSpace::take_matching`].
///
/// ```
/// use lindy::grammar::Pattern;
/// use lindy::space::LocalSpace;
/// use futures::FutureExt;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::new();
/// let jobs = Pattern::parse("public:app.jobs.*").unwrap();
/// let mut taker = space.take_matching(&jobs);
/// assert!((&mut taker).now_or_never().is_none()); // waits
/// space.try_push("public:app.jobs.resize", 1).unwrap();
/// let (key, value) = taker.await.unwrap();
/// assert_eq!((key.as_str(), value), ("public:app.jobs.resize", 1));
/// # });
/// ```
///
/// # Which entry
/// Every entry is stamped at `out` with a space-wide sequence number (its age; a put-back or a
/// returned lease keeps it). A pattern take that finds entries when it is polled takes the one
/// with the smallest stamp among the heads of the matching keys: the entry that has waited
/// longest. (Only heads compete: a key is a FIFO.) A waiting pattern taker is handed the entry of
/// the `out` that chose it. Keys that are not valid channel names never match.
///
/// # Who is served
/// An `out` on `K` goes to exactly one taker: the one that has waited longest (arrival order,
/// one counter for every waiter) among `K`'s takers and the pattern takers whose pattern matches
/// `K`. So neither kind can starve the other: they are served in the order they started waiting.
/// Waiting pattern takers live in a [`PatternIndex`](crate::grammar::PatternIndex), so finding
/// those that match `K` costs O(depth of the name), not O(patterns); and while no pattern taker
/// waits, `out` does no grammar work at all.
///
/// # Cancel safety
/// Cancel-safe: an entry handed to a dropped future goes back to the head of its key with its age,
/// and on to the next eligible taker.
#[must_use = "futures do nothing unless polled"]
pub struct TakeMatching<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    pattern: &'a Pattern,
    waiter: Option<WaiterId>,
    /// Resolved: polling again returns `Pending` (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> TakeMatching<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, pattern: &'a Pattern) -> Self {
        TakeMatching {
            space,
            pattern,
            waiter: None,
            done: false,
        }
    }

    /// The pattern this future takes for.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    /// assert_eq!(space.take_matching(&jobs).pattern(), &jobs);
    /// ```
    pub fn pattern(&self) -> &'a Pattern {
        self.pattern
    }
}

impl<V, R: RawMutex> Future for TakeMatching<'_, V, R> {
    type Output = Result<(Name, V), Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending; // polled after completion: take nothing more
        }
        let (space, pattern, waiter) = (this.space, this.pattern, &mut this.waiter);
        let poll = space.with(|e| match *waiter {
            None => match e.take_matching_or_wait(pattern, Wake::task(cx)) {
                Ok(MatchOrWait::Taken(name, t)) => Poll::Ready(Ok((name, t.value))),
                Ok(MatchOrWait::Waiting(id)) => {
                    *waiter = Some(id);
                    Poll::Pending
                }
                Err(TryTakeError::Closed | TryTakeError::Empty) => Poll::Ready(Err(Closed(()))),
            },
            Some(id) => match e.claim(id) {
                Claim::Pending => {
                    if let Some(w) = e.payload_mut(id) {
                        w.refresh(cx);
                    }
                    Poll::Pending
                }
                Claim::Matched(name, t) => {
                    *waiter = None;
                    Poll::Ready(Ok((name, t.value)))
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

impl<V, R: RawMutex> FusedFuture for TakeMatching<'_, V, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, R: RawMutex> Drop for TakeMatching<'_, V, R> {
    fn drop(&mut self) {
        if let Some(id) = self.waiter.take() {
            let dropped = self.space.with(|e| e.cancel(id));
            drop(dropped);
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for TakeMatching<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakeMatching")
            .field("pattern", &self.pattern.as_str())
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
