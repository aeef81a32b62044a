//! The future behind [`LocalSpace::read`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::LocalSpace;
use crate::error::Closed;
use crate::sync::{DefaultRawMutex, RawMutex, WaiterSlot};

/// Reads (clones) the head entry of one key without removing it, waiting until there is one: the
/// future returned by [`LocalSpace::read`].
///
/// Every reader waiting on a key is woken by the next [`out`](LocalSpace::out) on it, and all of
/// them see an entry; a taker may then take that same entry.
///
/// # Cancel-safety
/// Cancel-safe: a read removes nothing, so dropping it at any point changes nothing in the space.
#[must_use = "futures do nothing unless polled"]
pub struct Read<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    slot: WaiterSlot,
    /// Resolved: polling again returns `Pending` (see [`FusedFuture`]).
    done: bool,
}

impl<'a, V, R: RawMutex> Read<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        Read {
            space,
            key,
            slot: WaiterSlot::new(),
            done: false,
        }
    }

    /// The key this future reads.
    pub fn key(&self) -> &'a str {
        self.key
    }
}

impl<V: Clone, R: RawMutex> Future for Read<'_, V, R> {
    type Output = Result<V, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending;
        }
        let poll = this
            .space
            .state
            .lock(|s| s.poll_read(this.key, &mut this.slot, cx.waker()));
        this.done = poll.is_ready();
        poll
    }
}

impl<V: Clone, R: RawMutex> FusedFuture for Read<'_, V, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<V, R: RawMutex> Drop for Read<'_, V, R> {
    fn drop(&mut self) {
        if self.slot.is_registered() {
            self.space
                .state
                .lock(|s| s.forget_reader(self.key, &mut self.slot));
        }
    }
}

impl<V, R: RawMutex> fmt::Debug for Read<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Read")
            .field("key", &self.key)
            .field("waiting", &self.slot.is_registered())
            .finish()
    }
}
