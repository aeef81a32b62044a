//! `futures` adapters: a `Stream` for consumers and a `Sink` for producers of a `LockingRing`.

use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};
use futures_sink::Sink;

use super::error::TryPushError;
use super::locking::LockingRingBase;
use super::storage::Storage;
use crate::sync::{DefaultRawMutex, RawMutex, WaiterSlot};

/// The consumer side of a [`LockingRingBase`] as a [`Stream`]
/// ([`LockingRingBase::stream`]): yields values oldest first and ends once the ring is closed and
/// drained.
///
/// Cancel-safe like [`take`](LockingRingBase::take): a value is taken only by the `poll_next` that
/// returns it; a stream dropped after being woken passes the wake-up on.
///
/// ```
/// use futures::StreamExt;
/// use lindy::ring::LockingRing;
///
/// let ring: LockingRing<u8, 4> = LockingRing::new();
/// ring.try_push(1)?;
/// ring.try_push(2)?;
/// ring.close();
/// let got: Vec<u8> = futures::executor::block_on(ring.stream().collect());
/// assert_eq!(got, [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct RingStream<'a, T, S: Storage<T>, R: RawMutex = DefaultRawMutex> {
    ring: &'a LockingRingBase<T, S, R>,
    slot: WaiterSlot,
    done: bool,
}

impl<'a, T, S: Storage<T>, R: RawMutex> RingStream<'a, T, S, R> {
    pub(super) fn new(ring: &'a LockingRingBase<T, S, R>) -> Self {
        RingStream {
            ring,
            slot: WaiterSlot::new(),
            done: false,
        }
    }
}

impl<T, S: Storage<T>, R: RawMutex> Stream for RingStream<'_, T, S, R> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let poll = this.ring.poll_pop(&mut this.slot, cx);
        this.done = matches!(poll, Poll::Ready(None));
        poll
    }
}

impl<T, S: Storage<T>, R: RawMutex> FusedStream for RingStream<'_, T, S, R> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T, S: Storage<T>, R: RawMutex> Drop for RingStream<'_, T, S, R> {
    fn drop(&mut self) {
        self.ring.cancel_pop(&mut self.slot);
    }
}

impl<T, S: Storage<T>, R: RawMutex> core::fmt::Debug for RingStream<'_, T, S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingStream")
            .field("done", &self.done)
            .finish()
    }
}

/// The producer side of a [`LockingRingBase`] as a [`Sink`] ([`LockingRingBase::sink`]).
///
/// `start_send` pushes at once when there is room; otherwise it holds the value (at most one)
/// until `poll_ready` / `poll_flush` find room. `poll_close` flushes, then **closes the ring**, so
/// `stream.forward(ring.sink())` ends the consumers' streams when the source ends.
///
/// Errors hand the value back as a [`TryPushError`]: `Closed(v)` when the ring closed before `v`
/// could be pushed; `Full(v)` only when `start_send` is called while a value is still held (a
/// `poll_ready` was skipped).
///
/// # Cancel safety
/// A sink dropped while holding a value drops that value (flush or close first to
/// deliver it); a sink dropped after being woken for room passes the wake-up on.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use lindy::ring::LockingRing;
///
/// let ring: LockingRing<u32, 2> = LockingRing::new();
/// let (sent, got) = futures::executor::block_on(async {
///     let produce = futures::stream::iter(0..10).map(Ok).forward(ring.sink());
///     let consume = ring.stream().collect::<Vec<u32>>();
///     futures::join!(produce, consume)
/// });
/// assert!(sent.is_ok());
/// assert_eq!(got, (0..10).collect::<Vec<_>>());
/// ```
#[must_use = "sinks do nothing unless polled"]
pub struct RingSink<'a, T, S: Storage<T>, R: RawMutex = DefaultRawMutex> {
    ring: &'a LockingRingBase<T, S, R>,
    slot: WaiterSlot,
    held: Option<T>,
}

impl<'a, T, S: Storage<T>, R: RawMutex> RingSink<'a, T, S, R> {
    pub(super) fn new(ring: &'a LockingRingBase<T, S, R>) -> Self {
        RingSink {
            ring,
            slot: WaiterSlot::new(),
            held: None,
        }
    }

    /// Pushes the held value (if any), waiting for room.
    fn poll_held(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TryPushError<T>>> {
        self.ring
            .poll_push(&mut self.slot, &mut self.held, cx)
            .map_err(TryPushError::from)
    }
}

// No field is structurally pinned.
impl<T, S: Storage<T>, R: RawMutex> Unpin for RingSink<'_, T, S, R> {}

impl<T, S: Storage<T>, R: RawMutex> Sink<T> for RingSink<'_, T, S, R> {
    type Error = TryPushError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_held(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        if this.held.is_some() {
            return Err(TryPushError::Full(item));
        }
        match this.ring.try_push(item) {
            Ok(()) => Ok(()),
            // Someone else took the room `poll_ready` saw: hold the value until there is room.
            Err(TryPushError::Full(item)) => {
                this.held = Some(item);
                Ok(())
            }
            Err(closed) => Err(closed),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_held(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let flushed = this.poll_held(cx);
        if flushed.is_ready() {
            this.ring.close();
        }
        flushed
    }
}

impl<T, S: Storage<T>, R: RawMutex> Drop for RingSink<'_, T, S, R> {
    fn drop(&mut self) {
        self.ring.cancel_push(&mut self.slot);
    }
}

impl<T, S: Storage<T>, R: RawMutex> core::fmt::Debug for RingSink<'_, T, S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingSink")
            .field("holding", &self.held.is_some())
            .finish()
    }
}
