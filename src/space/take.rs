//! The future behind [`LocalSpace::take`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::LocalSpace;
use crate::error::Closed;
use crate::sync::{DefaultRawMutex, RawMutex, WaiterSlot};

/// Takes the head entry of one key, waiting until there is one: the future returned by
/// [`LocalSpace::take`].
///
/// # Cancel-safety
/// Cancel-safe. The entry leaves the space only in the `poll` that returns it, so dropping the
/// future at any point loses nothing. If the future had been woken for an entry and is dropped
/// before taking it, its wake-up is handed on to the next taker of the key, so no entry sits while
/// a taker waits.
///
/// # Order
/// Takers of one key are served first come, first served: the oldest waiting taker is the one an
/// [`out`](LocalSpace::out) wakes. A taker that was woken but lost the entry to a caller that got
/// there first (a [`try_take`](LocalSpace::try_take), or a new `take` polled in between) keeps its
/// place at the front.
#[must_use = "futures do nothing unless polled"]
pub struct Take<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    slot: WaiterSlot,
    /// Space-wide registration order, given on first registration (0: none yet).
    ticket: u64,
    /// Resolved: polling again returns `Pending` and takes nothing (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> Take<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        Take {
            space,
            key,
            slot: WaiterSlot::new(),
            ticket: 0,
            done: false,
        }
    }

    /// The key this future takes from.
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
        let poll = this
            .space
            .state
            .lock(|s| s.poll_take(this.key, &mut this.slot, &mut this.ticket, cx.waker()));
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
        if !self.slot.is_registered() {
            return;
        }
        let wake = self
            .space
            .state
            .lock(|s| s.drop_take(self.key, &mut self.slot, self.ticket));
        if let Some(w) = wake {
            w.wake();
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for Take<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("key", &self.key)
            .field("waiting", &self.slot.is_registered())
            .finish()
    }
}
