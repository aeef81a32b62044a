//! Pattern take: take the oldest entry from any key that is a channel name matching a pattern.
//!
//! The order rules are documented on [`TakeMatching`].

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use compact_str::CompactString;
use futures_core::FusedFuture;

use super::state::{KeyQueue, State};
use super::LocalSpace;
use crate::error::Closed;
use crate::grammar::{Name, NameRef, Pattern, PatternIndex, SubscriptionId};
use crate::sync::{DefaultRawMutex, RawMutex, WaitQueue, WaiterSlot};

/// One waiting pattern taker.
pub(crate) struct PatternWaiter {
    ticket: u64,
    /// A queue of one: the taker's place, with the hand-on protocol of [`WaitQueue`].
    queue: WaitQueue,
    /// The key whose `out` woke it, until it acts on the wake-up.
    woken_for: Option<CompactString>,
}

/// Every waiting pattern taker. Boxed in the state, and only while someone waits.
pub(crate) struct PatternWaiters {
    index: PatternIndex<PatternWaiter>,
    /// Every subscription, so `close` can wake them all.
    ids: Vec<SubscriptionId>,
}

impl PatternWaiters {
    fn remove(&mut self, id: SubscriptionId) -> Option<PatternWaiter> {
        if let Some(at) = self.ids.iter().position(|&i| i == id) {
            self.ids.swap_remove(at);
        }
        self.index.remove(id)
    }

    /// The oldest *waiting* pattern taker matching `key` (not counting notified ones).
    fn oldest_matching(&self, key: &str) -> Option<(u64, SubscriptionId)> {
        let name = NameRef::parse(key).ok()?;
        let mut best: Option<(u64, SubscriptionId)> = None;
        self.index.for_each_match(name, |id, w| {
            if w.queue.len() == 1 && best.is_none_or(|(t, _)| w.ticket < t) {
                best = Some((w.ticket, id));
            }
        });
        best
    }

    /// Notifies pattern taker `id`, recording the key it is woken for.
    fn notify(&mut self, id: SubscriptionId, key: &str) -> Option<Waker> {
        let w = self.index.get_mut(id)?;
        w.woken_for = Some(CompactString::from(key));
        w.queue.notify_one()
    }

    pub(crate) fn notify_all(&mut self, wakes: &mut super::waiters::WakeList) {
        for &id in &self.ids {
            if let Some(w) = self.index.get_mut(id) {
                while let Some(waker) = w.queue.notify_one() {
                    wakes.push(waker);
                }
            }
        }
    }
}

/// Picks the one taker an entry on `key` goes to: the oldest waiter among the key's takers and the
/// pattern takers matching it (see [`TakeMatching`]). Returns its waker, to wake unlocked.
pub(crate) fn dispatch<V>(
    q: &mut KeyQueue<V>,
    patterns: &mut Option<Box<PatternWaiters>>,
) -> Option<Waker> {
    let key_front = q.waiters.as_ref().and_then(|w| w.takers.front_ticket());
    if let Some(p) = patterns.as_deref_mut() {
        if let Some((ticket, id)) = p.oldest_matching(&q.key) {
            if key_front.is_none_or(|front| ticket < front) {
                return p.notify(id, &q.key);
            }
        }
    }
    q.waiters.as_mut()?.takers.notify_one()
}

impl<V> State<V> {
    /// The oldest matching entry (smallest head stamp among matching keys), taken.
    pub(crate) fn try_take_matching(&mut self, pattern: &Pattern) -> Option<(Name, V)> {
        let mut best: Option<(u64, &str)> = None;
        for q in self.keys.iter() {
            if let Some(head) = q.entries.front() {
                if best.is_none_or(|(seq, _)| head.seq < seq) && pattern.matches_str(&q.key) {
                    best = Some((head.seq, q.key.as_str()));
                }
            }
        }
        let key = CompactString::from(best?.1);
        self.take_from(&key)
    }

    /// Takes the head of `key` with the key as a [`Name`]; `None` if it is empty or not a name.
    fn take_from(&mut self, key: &str) -> Option<(Name, V)> {
        // Validate before taking, so a value is never taken and then dropped.
        let name = NameRef::parse(key).ok()?;
        let value = self.try_take(key)?;
        Some((name.to_owned(), value))
    }

    /// One poll of a [`TakeMatching`] future.
    fn poll_take_matching(
        &mut self,
        pattern: &Pattern,
        sub: &mut Option<SubscriptionId>,
        slot: &mut WaiterSlot,
        waker: &Waker,
    ) -> Poll<Result<(Name, V), Closed>> {
        if self.closed {
            self.forget_pattern_taker(sub, slot);
            return Poll::Ready(Err(Closed(())));
        }
        // Woken for a key: that entry first; else (or if it is gone) the oldest matching one.
        let woken_for = sub
            .and_then(|id| self.patterns.as_deref_mut()?.index.get_mut(id))
            .and_then(|w| w.woken_for.take());
        let got = woken_for
            .and_then(|k| self.take_from(&k))
            .or_else(|| self.try_take_matching(pattern));
        if let Some(got) = got {
            self.forget_pattern_taker(sub, slot);
            return Poll::Ready(Ok(got));
        }
        let id = match *sub {
            Some(id) => id,
            None => {
                let ticket = self.new_ticket();
                let p = self.patterns.get_or_insert_with(|| {
                    Box::new(PatternWaiters {
                        index: PatternIndex::new(),
                        ids: Vec::new(),
                    })
                });
                let id = p.index.insert(
                    pattern,
                    PatternWaiter {
                        ticket,
                        queue: WaitQueue::new(),
                        woken_for: None,
                    },
                );
                p.ids.push(id);
                *sub = Some(id);
                id
            }
        };
        if let Some(w) = self
            .patterns
            .as_deref_mut()
            .and_then(|p| p.index.get_mut(id))
        {
            w.queue.register(slot, waker);
        }
        Poll::Pending
    }

    /// Leaves the pattern waiters; returns what the waiter owed: the key it had been woken for
    /// and not acted on.
    fn forget_pattern_taker(
        &mut self,
        sub: &mut Option<SubscriptionId>,
        slot: &mut WaiterSlot,
    ) -> Option<CompactString> {
        let id = sub.take()?;
        let p = self.patterns.as_deref_mut()?;
        let mut w = p.remove(id)?;
        let owed = w.queue.remove(slot);
        if p.index.is_empty() {
            self.patterns = None; // no pattern taker: back to the grammar-free fast path
        }
        if owed {
            w.woken_for
        } else {
            None
        }
    }

    /// A [`TakeMatching`] future is dropped: leave, and pass on a wake-up it had not acted on.
    fn drop_take_matching(
        &mut self,
        sub: &mut Option<SubscriptionId>,
        slot: &mut WaiterSlot,
    ) -> Option<Waker> {
        let key = self.forget_pattern_taker(sub, slot)?;
        if self.closed {
            return None;
        }
        self.hand_on(&key)
    }
}

/// Takes the oldest entry from any key matching a pattern, waiting until there is one: the future
/// returned by [`LocalSpace::take_matching`].
///
/// # Which entry
/// Every entry is stamped at `out` with a space-wide sequence number. A pattern take that finds
/// entries when it is polled takes the one with the smallest stamp among the heads of the matching
/// keys: the entry that has waited longest. (Only heads compete: a key is a FIFO.) A pattern
/// taker that was *woken* by an `out` on key `K` takes from `K` (the entry it was woken for), or,
/// if someone got there first, falls back to the oldest matching entry: taking the oldest instead
/// could take the entry another woken taker was promised, and leave a third asleep next to the one
/// this taker was promised. Keys that are not valid channel names never match.
///
/// # Who is woken
/// An `out` on `K` wakes exactly one taker: the one that has waited longest (smallest *ticket*,
/// given at first registration) among `K`'s takers and the pattern takers whose pattern matches
/// `K`. So neither kind can starve the other: they are served in the order they started waiting.
/// Pattern waiters live in a [`PatternIndex`], so finding those that match `K` costs O(depth of
/// the name), not O(patterns); and while no pattern taker waits, `out` does no grammar work at all.
///
/// # Cancel-safety
/// Cancel-safe: the entry leaves the space only in the `poll` that returns it, and a future
/// dropped after being woken for an entry hands its wake-up on to the next taker of that key.
#[must_use = "futures do nothing unless polled"]
pub struct TakeMatching<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    pattern: &'a Pattern,
    /// Our entry in the pattern index while we wait.
    sub: Option<SubscriptionId>,
    slot: WaiterSlot,
    /// Resolved: polling again returns `Pending` (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> TakeMatching<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, pattern: &'a Pattern) -> Self {
        TakeMatching {
            space,
            pattern,
            sub: None,
            slot: WaiterSlot::new(),
            done: false,
        }
    }

    /// The pattern this future takes for.
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
        let poll = this.space.state.lock(|s| {
            s.poll_take_matching(this.pattern, &mut this.sub, &mut this.slot, cx.waker())
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
        if self.sub.is_none() {
            return;
        }
        let wake = self
            .space
            .state
            .lock(|s| s.drop_take_matching(&mut self.sub, &mut self.slot));
        if let Some(w) = wake {
            w.wake();
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for TakeMatching<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakeMatching")
            .field("pattern", &self.pattern.as_str())
            .field("waiting", &self.sub.is_some())
            .finish()
    }
}
