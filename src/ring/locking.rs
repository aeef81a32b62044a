//! `LockingRing`: a ring shared by `&self` that producers and consumers can wait on.

use alloc::boxed::Box;
use core::future::Future;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::base::RingBase;
use super::error::{CapacityError, TryPushError, TryTakeError};
use super::heap::alloc_slots;
use super::storage::Storage;
use super::stream::{RingSink, RingStream};
use crate::error::{Closed, Full};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex, WaitQueue, WaiterSlot};

/// A FIFO ring shared through `&self`, whose producers can wait for room and consumers for
/// data; use it through its aliases [`LockingRing<T, N, R>`](LockingRing) (capacity in the type,
/// `const fn new()`) and [`LockingHeapRing<T, R>`](LockingHeapRing) (capacity at run time).
///
/// * `try_push` / `try_take` never wait;
/// * [`push`](Self::push) / [`take`](Self::take) return futures that run on any executor;
/// * [`close`](Self::close) ends it: waiters wake, pushes hand their value back, takes drain what
///   is left and then return `None`;
/// * [`stream`](Self::stream) / [`sink`](Self::sink) adapt it to `futures` `Stream` / `Sink`;
/// * on `std`, `push_blocking` / `take_blocking` park the calling thread instead.
///
/// Waiting producers are served in FIFO order, and so are waiting consumers: the oldest waiter is
/// woken first, and a woken waiter that loses a race (e.g. to a non-waiting `try_take`) keeps its
/// place at the front. Wake-ups are never lost to cancellation: a future dropped after it was
/// woken passes the wake-up on to the next waiter.
///
/// The state sits behind the lock `R` (see [`RawMutex`]); wakers are woken after the lock is
/// released. With the default lock on `std` the ring is `Send + Sync` for `T: Send`.
pub struct LockingRingBase<T, S: Storage<T>, R = DefaultRawMutex> {
    state: Mutex<R, State<T, S>>,
}

/// A [`LockingRingBase`] of capacity `N` stored inline: no allocation for the values, and
/// `const fn new()`, so it can be a `static`.
///
/// ```
/// use lindy::ring::LockingRing;
///
/// static EVENTS: LockingRing<u32, 8> = LockingRing::new();
///
/// futures::executor::block_on(async {
///     EVENTS.push(1).await?;
///     EVENTS.push(2).await?;
///     EVENTS.close();
///     assert_eq!(EVENTS.take().await, Some(1));
///     assert_eq!(EVENTS.take().await, Some(2));
///     assert_eq!(EVENTS.take().await, None); // closed and drained
///     Ok::<(), lindy::Closed<u32>>(())
/// })?;
/// # Ok::<(), lindy::Closed<u32>>(())
/// ```
pub type LockingRing<T, const N: usize, R = DefaultRawMutex> =
    LockingRingBase<T, [MaybeUninit<T>; N], R>;

/// A [`LockingRingBase`] whose capacity is chosen at run time.
///
/// ```
/// use lindy::ring::LockingHeapRing;
///
/// let ring = LockingHeapRing::with_capacity(1)?;
/// ring.try_push("a")?;
/// assert!(ring.try_push("b").is_err()); // full: the value is handed back in the error
/// assert_eq!(ring.try_take(), Ok("a"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type LockingHeapRing<T, R = DefaultRawMutex> = LockingRingBase<T, Box<[MaybeUninit<T>]>, R>;

struct State<T, S: Storage<T>> {
    ring: RingBase<T, S>,
    closed: bool,
    /// Producers waiting for room.
    room: WaitQueue,
    /// Consumers waiting for data.
    data: WaitQueue,
}

impl<T, const N: usize, R: RawMutex> LockingRing<T, N, R> {
    /// An empty, open ring. `const`, so it can initialise a `static`.
    pub const fn new() -> Self {
        LockingRingBase {
            state: Mutex::new(State {
                ring: RingBase::new(),
                closed: false,
                room: WaitQueue::new(),
                data: WaitQueue::new(),
            }),
        }
    }
}

impl<T, const N: usize, R: RawMutex> Default for LockingRing<T, N, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> LockingHeapRing<T> {
    /// An empty, open ring with room for exactly `capacity` values, behind the
    /// [`DefaultRawMutex`]. For another lock, share a [`HeapRing`](super::HeapRing):
    /// `LockingHeapRing::<T, NoopRawMutex>::from(HeapRing::with_capacity(n)?)`.
    ///
    /// # Errors
    /// [`CapacityError`] (`INVALID_CONFIG`) when `capacity` is 0 (a push could never complete)
    /// or too large to allocate.
    pub fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        Ok(RingBase::from_storage(alloc_slots(capacity)?).into())
    }
}

impl<T, S: Storage<T>, R: RawMutex> From<RingBase<T, S>> for LockingRingBase<T, S, R> {
    /// Shares an existing ring (and the values it holds); the result is open.
    fn from(ring: RingBase<T, S>) -> Self {
        LockingRingBase {
            state: Mutex::new(State {
                ring,
                closed: false,
                room: WaitQueue::new(),
                data: WaitQueue::new(),
            }),
        }
    }
}

/// Wakes a waker taken from a queue; called after the lock is released.
#[inline]
fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T, S: Storage<T>, R: RawMutex> LockingRingBase<T, S, R> {
    /// Pushes `value` at the back if there is room, without waiting.
    ///
    /// # Errors
    /// [`TryPushError::Full`] (`BUFFER_FULL`) when the ring is full, [`TryPushError::Closed`]
    /// (`CLOSED`) once it is closed; both carry `value` back.
    ///
    /// ```
    /// use lindy::{ring::{LockingRing, TryPushError}, ErrorCode};
    ///
    /// let ring: LockingRing<&str, 1> = LockingRing::new();
    /// ring.try_push("a").unwrap();
    /// let err = ring.try_push("b").unwrap_err();
    /// assert_eq!((err.code(), err.into_inner()), ("BUFFER_FULL", "b"));
    /// ring.close();
    /// assert!(matches!(ring.try_push("c"), Err(TryPushError::Closed("c"))));
    /// ```
    pub fn try_push(&self, value: T) -> Result<(), TryPushError<T>> {
        let (result, waker) = self.state.lock(|s| {
            if s.closed {
                return (Err(TryPushError::Closed(value)), None);
            }
            match s.ring.try_push(value) {
                Ok(()) => (Ok(()), s.data.notify_one()),
                Err(Full(v)) => (Err(TryPushError::Full(v)), None),
            }
        });
        wake(waker);
        result
    }

    /// Takes the oldest value, without waiting. Values pushed before [`close`](Self::close) can
    /// still be taken after it.
    ///
    /// # Errors
    /// [`TryTakeError::Empty`] (`BUFFER_EMPTY`) when there is nothing to take,
    /// [`TryTakeError::Closed`] (`CLOSED`) when the ring is closed and drained.
    ///
    /// ```
    /// use lindy::ring::{LockingRing, TryTakeError};
    ///
    /// let ring: LockingRing<u8, 2> = LockingRing::new();
    /// assert_eq!(ring.try_take(), Err(TryTakeError::Empty));
    /// ring.try_push(1).unwrap();
    /// ring.close();
    /// assert_eq!(ring.try_take(), Ok(1)); // what was pushed before close is still there
    /// assert_eq!(ring.try_take(), Err(TryTakeError::Closed));
    /// ```
    pub fn try_take(&self) -> Result<T, TryTakeError> {
        let (result, waker) = self.state.lock(|s| match s.ring.try_take() {
            Some(v) => (Ok(v), s.room.notify_one()),
            None if s.closed => (Err(TryTakeError::Closed), None),
            None => (Err(TryTakeError::Empty), None),
        });
        wake(waker);
        result
    }

    /// Renamed [`try_take`](Self::try_take).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take`")]
    pub fn try_pop(&self) -> Result<T, TryTakeError> {
        self.try_take()
    }

    /// Pushes `value` at the back, waiting for room while the ring is full.
    ///
    /// Resolves to `Err(Closed(value))` if the ring is (or gets) closed before there was room:
    /// the value is handed back.
    ///
    /// # Cancel safety
    /// Dropping the future before it completes pushes nothing; the value is dropped with it
    /// (recover it first with [`Push::cancel`] to keep it). If the future had been woken for room
    /// it had not used yet, the wake-up passes to the next waiting producer.
    ///
    /// ```
    /// use lindy::ring::LockingRing;
    ///
    /// let ring: LockingRing<u32, 1> = LockingRing::new();
    /// futures::executor::block_on(async {
    ///     ring.push(1).await.unwrap();
    ///     // Full: this push waits until the take below makes room.
    ///     let (pushed, taken) = futures::join!(ring.push(2), ring.take());
    ///     assert_eq!((pushed, taken), (Ok(()), Some(1)));
    ///     ring.close();
    ///     assert_eq!(ring.push(3).await.unwrap_err().into_inner(), 3);
    /// });
    /// ```
    pub fn push(&self, value: T) -> Push<'_, T, S, R> {
        Push {
            ring: self,
            slot: WaiterSlot::new(),
            value: Some(value),
        }
    }

    /// Takes the oldest value, waiting for one while the ring is empty; resolves to `None` once the
    /// ring is closed and drained.
    ///
    /// # Cancel safety
    /// Cancel-safe: a value is taken only in the poll that returns it, so dropping the future
    /// before it completes takes nothing. If it had been woken for a value it had not taken yet,
    /// the wake-up passes to the next waiting consumer, which gets the value.
    ///
    /// ```
    /// use lindy::ring::LockingRing;
    ///
    /// let ring: LockingRing<&str, 4> = LockingRing::new();
    /// futures::executor::block_on(async {
    ///     // The take waits; the push (polled after it by `join!`) wakes it.
    ///     let (taken, pushed) = futures::join!(ring.take(), ring.push("job"));
    ///     assert_eq!((taken, pushed), (Some("job"), Ok(())));
    /// });
    /// ```
    pub fn take(&self) -> Take<'_, T, S, R> {
        Take {
            ring: self,
            slot: WaiterSlot::new(),
        }
    }

    /// Renamed [`take`](Self::take).
    #[deprecated(since = "0.2.0", note = "renamed to `take`")]
    pub fn pop(&self) -> Take<'_, T, S, R> {
        self.take()
    }

    /// Closes the ring: every waiting producer and consumer wakes; pushes from now on hand their
    /// value back (`CLOSED`); takes still take what is left, then return `None`.
    ///
    /// Idempotent: returns `true` for the call that closed the ring, `false` afterwards.
    ///
    /// ```
    /// use lindy::ring::LockingRing;
    ///
    /// let ring: LockingRing<u8, 1> = LockingRing::new();
    /// futures::executor::block_on(async {
    ///     let (taken, closed) = futures::join!(ring.take(), async { ring.close() });
    ///     assert_eq!((taken, closed), (None, true)); // the waiting take woke up empty-handed
    ///     assert!(!ring.close());
    /// });
    /// ```
    pub fn close(&self) -> bool {
        if !self
            .state
            .lock(|s| !core::mem::replace(&mut s.closed, true))
        {
            return false;
        }
        // One waiter per lock acquisition, so every waker is woken outside the lock. Nobody
        // registers after `closed` is set (a closed ring completes every poll), so this ends.
        while let Some(w) = self
            .state
            .lock(|s| s.data.notify_one().or_else(|| s.room.notify_one()))
        {
            w.wake();
        }
        true
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.lock(|s| s.closed)
    }

    /// How many values the ring holds right now.
    pub fn len(&self) -> usize {
        self.state.lock(|s| s.ring.len())
    }

    /// Whether the ring holds nothing right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many values the ring can hold.
    pub fn capacity(&self) -> usize {
        self.state.lock(|s| s.ring.capacity())
    }

    /// A [`Stream`](futures_core::Stream) of taken values, ending when the ring is closed and
    /// drained. Any number of streams (and `take`s) may consume one ring: each value goes to one.
    pub fn stream(&self) -> RingStream<'_, T, S, R> {
        RingStream::new(self)
    }

    /// A [`Sink`](futures_sink::Sink) pushing into the ring; closing the sink closes the ring.
    pub fn sink(&self) -> RingSink<'_, T, S, R> {
        RingSink::new(self)
    }

    /// Takes the ring back (with whatever it holds); nobody can be waiting, since waiting
    /// borrows the ring.
    pub fn into_inner(self) -> RingBase<T, S> {
        self.state.into_inner().ring
    }

    /// The shared take step of [`Take`] and [`RingStream`]: take a value, or see the ring closed
    /// and drained, or park `slot` in the consumer queue.
    pub(super) fn poll_pop(&self, slot: &mut WaiterSlot, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let (poll, waker) = self.state.lock(|s| match s.ring.try_take() {
            Some(v) => {
                s.data.remove(slot);
                (Poll::Ready(Some(v)), s.room.notify_one())
            }
            None if s.closed => {
                s.data.remove(slot);
                (Poll::Ready(None), None)
            }
            None => {
                s.data.register(slot, cx.waker());
                (Poll::Pending, None)
            }
        });
        wake(waker);
        poll
    }

    /// Leaves the consumer queue (a dropped consumer); passes an unused wake-up on.
    pub(super) fn cancel_pop(&self, slot: &mut WaiterSlot) {
        if !slot.is_registered() {
            return; // completed or never parked: nothing to undo, no lock needed
        }
        let waker = self.state.lock(|s| {
            if s.data.remove(slot) && !s.ring.is_empty() {
                s.data.notify_one()
            } else {
                None
            }
        });
        wake(waker);
    }

    /// The shared push step of [`Push`] and [`RingSink`]: push `value`, or see the ring closed,
    /// or park `slot` in the producer queue and keep the value in `value`.
    pub(super) fn poll_push(
        &self,
        slot: &mut WaiterSlot,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Closed<T>>> {
        let Some(v) = value.take() else {
            return Poll::Ready(Ok(()));
        };
        let (poll, waker) = self.state.lock(|s| {
            if s.closed {
                s.room.remove(slot);
                return (Poll::Ready(Err(Closed(v))), None);
            }
            match s.ring.try_push(v) {
                Ok(()) => {
                    s.room.remove(slot);
                    (Poll::Ready(Ok(())), s.data.notify_one())
                }
                Err(Full(v)) => {
                    s.room.register(slot, cx.waker());
                    *value = Some(v);
                    (Poll::Pending, None)
                }
            }
        });
        wake(waker);
        poll
    }

    /// Leaves the producer queue (a dropped producer); passes an unused wake-up on.
    pub(super) fn cancel_push(&self, slot: &mut WaiterSlot) {
        if !slot.is_registered() {
            return;
        }
        let waker = self.state.lock(|s| {
            if s.room.remove(slot) && !s.ring.is_full() {
                s.room.notify_one()
            } else {
                None
            }
        });
        wake(waker);
    }
}

impl<T, S: Storage<T>, R> core::fmt::Debug for LockingRingBase<T, S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LockingRing { .. }")
    }
}

/// The future of [`LockingRingBase::push`]: resolves to `Ok(())` once the value is in the ring, or
/// `Err(Closed(value))` if the ring closed first.
///
/// # Cancel safety
/// Dropping it before it completes pushes nothing; the value is dropped with it (recover it
/// first with [`Push::cancel`]). A wake-up for room it had not used passes to the next producer.
#[must_use = "futures do nothing unless polled"]
pub struct Push<'a, T, S: Storage<T>, R: RawMutex = DefaultRawMutex> {
    ring: &'a LockingRingBase<T, S, R>,
    slot: WaiterSlot,
    value: Option<T>,
}

impl<T, S: Storage<T>, R: RawMutex> Push<'_, T, S, R> {
    /// Abandons the push and returns its value, unless it was already pushed (then `None`).
    /// The way to cancel without losing the value (e.g. after a timeout won a `select!`).
    pub fn cancel(mut self) -> Option<T> {
        self.value.take()
        // `Drop` leaves the queue and passes on an unused wake-up.
    }
}

// No field is structurally pinned (the waiter slot is an index, not an address).
impl<T, S: Storage<T>, R: RawMutex> Unpin for Push<'_, T, S, R> {}

impl<T, S: Storage<T>, R: RawMutex> Future for Push<'_, T, S, R> {
    type Output = Result<(), Closed<T>>;

    /// Polling again after completion returns `Ok(())` without pushing anything.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.ring.poll_push(&mut this.slot, &mut this.value, cx)
    }
}

impl<T, S: Storage<T>, R: RawMutex> Drop for Push<'_, T, S, R> {
    fn drop(&mut self) {
        self.ring.cancel_push(&mut self.slot);
    }
}

impl<T, S: Storage<T>, R: RawMutex> core::fmt::Debug for Push<'_, T, S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Push")
            .field("pushed", &self.value.is_none())
            .finish()
    }
}

/// The future of [`LockingRingBase::take`]: resolves to the oldest value, or `None` once the ring
/// is closed and drained.
///
/// # Cancel safety
/// Cancel-safe: a value is taken only in the poll that returns it. A wake-up for a value it had
/// not taken passes to the next waiting consumer.
#[must_use = "futures do nothing unless polled"]
pub struct Take<'a, T, S: Storage<T>, R: RawMutex = DefaultRawMutex> {
    ring: &'a LockingRingBase<T, S, R>,
    slot: WaiterSlot,
}

impl<T, S: Storage<T>, R: RawMutex> Future for Take<'_, T, S, R> {
    type Output = Option<T>;

    /// Polling again after completion takes again.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.ring.poll_pop(&mut this.slot, cx)
    }
}

impl<T, S: Storage<T>, R: RawMutex> Drop for Take<'_, T, S, R> {
    fn drop(&mut self) {
        self.ring.cancel_pop(&mut self.slot);
    }
}

impl<T, S: Storage<T>, R: RawMutex> core::fmt::Debug for Take<'_, T, S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Take { .. }")
    }
}

/// Renamed [`Take`].
#[deprecated(since = "0.2.0", note = "renamed to `Take`")]
pub type Pop<'a, T, S, R = DefaultRawMutex> = Take<'a, T, S, R>;
