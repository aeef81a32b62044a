//! `LockingRing`: a ring shared by `&self` that producers and consumers can wait on.

use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::pin::Pin;
use core::ptr;
use core::task::{Context, Poll, Waker};

use super::base::RingBase;
use super::error::{CapacityError, TryPushError, TryTakeError};
use super::heap::alloc_slots;
use super::storage::Storage;
use super::stream::{RingSink, RingStream};
use crate::error::Closed;
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
/// # How it is built
/// Producers and consumers never share a lock. The values sit in a single-producer /
/// single-consumer ring (Lamport's, with each side caching the other's position, as in
/// rigtorp's `SPSCQueue`); producers take turns through their own lock `R`, consumers through
/// theirs, so any number of each may share the ring, and the two sides meet only on the slots and
/// the two positions, each on its own cache line. A hand-off between one producer thread and one
/// consumer thread moves the position lines only when a side runs out of what it last saw.
///
/// The wait queues sit behind a third lock, touched only when somebody waits. A consumer that
/// must wait registers in its queue, then raises the "consumer waiting" flag *under the
/// producers' lock*, then looks at the ring once more; a push reads that flag inside the same
/// lock, after publishing its value. So a push is wholly before the raise (and the consumer's
/// second look finds its value) or wholly after it (and the push sees the flag and wakes the
/// oldest waiter): no wake-up is lost, and no fence or extra read-modify-write sits on the fast
/// path. Producers waiting for room mirror it through the consumers' lock. A waiter that
/// completes after a wake-up it did not use (its value came from its own second look) passes
/// the wake-up on. Wakers are woken after every lock is released. Only atomic loads and stores
/// are used, so the ring works on targets without compare-and-swap (Cortex-M0) with
/// [`CriticalSectionRawMutex`](crate::sync::CriticalSectionRawMutex).
///
/// With the default lock on `std` the ring is `Send + Sync` for `T: Send`.
///
/// ```
/// use lindy::ring::{LockingHeapRing, LockingRing, LockingRingBase, Storage};
/// use lindy::sync::RawMutex;
///
/// // One function for both the fixed and the heap-allocated locking ring.
/// fn drain<T, S: Storage<T>, R: RawMutex>(ring: &LockingRingBase<T, S, R>) -> Vec<T> {
///     std::iter::from_fn(|| ring.try_take().ok()).collect()
/// }
/// let fixed: LockingRing<u8, 4> = LockingRing::new();
/// let heap = LockingHeapRing::with_capacity(4)?;
/// fixed.try_push(1)?;
/// heap.try_push(2)?;
/// assert_eq!((drain(&fixed), drain(&heap)), (vec![1], vec![2]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LockingRingBase<T, S: Storage<T>, R = DefaultRawMutex> {
    /// Producers: their lock (guarding their copy of `head`) and `tail`.
    producer: CachePadded<Side<R>>,
    /// Consumers: their lock (guarding their copy of `tail`) and `head`.
    consumer: CachePadded<Side<R>>,
    /// Read on every operation, written rarely.
    flags: CachePadded<Flags>,
    /// Producers waiting for room and consumers waiting for data.
    waiters: Mutex<R, Waiters>,
    /// The slots: `head..tail` (positions modulo `2 · capacity`, as in [`RingBase`]) hold values.
    /// A slot is written only by the producer holding the producer lock while it is outside
    /// `head..tail`, read only by the consumer holding the consumer lock while it is inside.
    /// `ManuallyDrop` because `Drop` and `into_inner` move it out.
    buf: ManuallyDrop<UnsafeCell<S>>,
    _owns: PhantomData<T>,
}

/// One side of the ring.
struct Side<R> {
    /// Serialises this side's callers; guards their cached copy of the other side's position
    /// (a lower bound of it: re-read only when the cached value says "full" / "empty").
    lock: Mutex<R, usize>,
    /// This side's position: `tail` for producers, `head` for consumers. Written only under
    /// `lock` (`Release`: the slot write or read before it is visible to the other side).
    /// On a cache line of its own: the other side reads it whenever its cached copy says
    /// "empty"/"full", and on the lock's line that read would take the lock's line away from
    /// this side on every operation (measured: ~4× the time per message between two idle cores).
    pos: CachePadded<AtomicUsize>,
}

struct Flags {
    /// Set once, under the producer lock.
    closed: AtomicBool,
    /// Some consumer may be registered in `Waiters::data`, not yet notified: raised by a parking
    /// consumer under the producer lock (where pushes read it), republished from the queue
    /// under the waiters lock (a stale `true` costs one empty notify, never a lost wake-up).
    data_waiting: AtomicBool,
    /// The producers' twin: raised under the consumer lock, where takes read it.
    room_waiting: AtomicBool,
}

struct Waiters {
    /// Producers waiting for room.
    room: WaitQueue,
    /// Consumers waiting for data.
    data: WaitQueue,
}

impl Waiters {
    /// Republishes both "waiting" flags from the queues; called under the waiters lock after
    /// every change to them. `len` counts registered waiters not yet notified (`is_empty` would
    /// count notified ones too, which need no further wake-up).
    #[allow(clippy::len_zero)]
    #[inline]
    fn publish(&self, flags: &Flags) {
        flags
            .data_waiting
            .store(self.data.len() > 0, Ordering::Relaxed);
        flags
            .room_waiting
            .store(self.room.len() > 0, Ordering::Relaxed);
    }
}

/// Aligns its value to a cache line (twice that where the CPU prefetches line pairs), so what
/// producers write and what consumers write never share a line. The sizes are crossbeam-utils'
/// `CachePadded` table.
#[cfg_attr(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    ),
    repr(align(128))
)]
#[cfg_attr(
    any(
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "riscv32",
        target_arch = "riscv64"
    ),
    repr(align(32))
)]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64",
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "riscv32",
        target_arch = "riscv64"
    )),
    repr(align(64))
)]
struct CachePadded<T>(T);

impl<T> core::ops::Deref for CachePadded<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

// Safety: the slots are reached only through the side locks and the positions as described on
// `buf` (a slot has one accessor at a time, with the position's Release/Acquire ordering
// between them), and everything else is atomics or behind `Mutex<R, _>`. `T: Send` because a
// value pushed on one thread is taken on another; `R: Sync` because the locks must exclude.
unsafe impl<T: Send, S: Storage<T> + Send, R: RawMutex + Sync> Sync for LockingRingBase<T, S, R> {}

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

/// The fields of a ring over `$buf` whose values are the positions `$head..$tail`; a macro so
/// that `new` can stay `const` where loom's (non-`const`) atomics are not in play.
macro_rules! ring_fields {
    ($buf:expr, $head:expr, $tail:expr) => {
        LockingRingBase {
            producer: CachePadded(Side {
                lock: Mutex::new($head),
                pos: CachePadded(AtomicUsize::new($tail)),
            }),
            consumer: CachePadded(Side {
                lock: Mutex::new($tail),
                pos: CachePadded(AtomicUsize::new($head)),
            }),
            flags: CachePadded(Flags {
                closed: AtomicBool::new(false),
                data_waiting: AtomicBool::new(false),
                room_waiting: AtomicBool::new(false),
            }),
            waiters: Mutex::new(Waiters {
                room: WaitQueue::new(),
                data: WaitQueue::new(),
            }),
            buf: ManuallyDrop::new(UnsafeCell::new($buf)),
            _owns: PhantomData,
        }
    };
}

impl<T, const N: usize, R: RawMutex> LockingRing<T, N, R> {
    /// An empty, open ring. `const`, so it can initialise a `static`.
    ///
    /// A capacity of 0 is a compile-time error (a push could never complete):
    /// ```compile_fail
    /// let ring: lindy::ring::LockingRing<u8, 0> = lindy::ring::LockingRing::new();
    /// ```
    ///
    /// ```
    /// use lindy::ring::LockingRing;
    ///
    /// static QUEUE: LockingRing<u32, 4> = LockingRing::new();
    /// QUEUE.try_push(1)?;
    /// assert_eq!(QUEUE.try_take(), Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        let () = Self::CAPACITY_OK;
        ring_fields!([const { MaybeUninit::uninit() }; N], 0, 0)
    }

    /// An empty, open ring (under loom, whose atomics cannot be built in `const`).
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 2> = lindy::ring::LockingRing::new();
    /// assert!(ring.is_empty());
    /// ```
    #[cfg(loom)]
    pub fn new() -> Self {
        let () = Self::CAPACITY_OK;
        ring_fields!([const { MaybeUninit::uninit() }; N], 0, 0)
    }

    const CAPACITY_OK: () = {
        assert!(N > 0, "lindy::ring::LockingRing<T, N> needs N >= 1");
        assert!(
            N <= isize::MAX as usize,
            "lindy::ring::LockingRing<T, N> needs N <= isize::MAX"
        );
    };
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
    ///
    /// ```
    /// use lindy::{ring::LockingHeapRing, ErrorCode};
    ///
    /// let ring = LockingHeapRing::<u8>::with_capacity(3)?;
    /// assert_eq!(ring.capacity(), 3);
    /// assert_eq!(LockingHeapRing::<u8>::with_capacity(0).unwrap_err().code(), "INVALID_CONFIG");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        Ok(RingBase::from_storage(alloc_slots(capacity)?).into())
    }
}

impl<T, S: Storage<T>, R: RawMutex> From<RingBase<T, S>> for LockingRingBase<T, S, R> {
    /// Shares an existing ring (and the values it holds); the result is open.
    ///
    /// ```
    /// use lindy::ring::{LockingRing, Ring};
    ///
    /// let mut ring: Ring<u8, 4> = Ring::new();
    /// ring.try_push(1)?;
    /// let shared = LockingRing::<u8, 4>::from(ring);
    /// assert_eq!(shared.try_take(), Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn from(ring: RingBase<T, S>) -> Self {
        let (buf, head, tail) = ring.into_raw_parts();
        ring_fields!(buf, head, tail)
    }
}

/// Wakes a waker taken from a queue; called after every lock is released.
#[inline]
fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// Positions run over `0..2 · cap` (as in [`RingBase`]): `head == tail` is empty,
/// `distance == cap` is full. For a power-of-two capacity (a constant for `LockingRing<T, N>`)
/// the arithmetic is masks.
#[inline(always)]
fn distance(from: usize, to: usize, cap: usize) -> usize {
    if cap.is_power_of_two() {
        to.wrapping_sub(from) & (2 * cap - 1)
    } else if to >= from {
        to - from
    } else {
        to + 2 * cap - from
    }
}

/// The position after `pos`.
#[inline(always)]
fn next(pos: usize, cap: usize) -> usize {
    if cap.is_power_of_two() {
        (pos + 1) & (2 * cap - 1)
    } else if pos + 1 == 2 * cap {
        0
    } else {
        pos + 1
    }
}

/// The slot a position names.
#[inline(always)]
fn slot(pos: usize, cap: usize) -> usize {
    if cap.is_power_of_two() {
        pos & (cap - 1)
    } else if pos >= cap {
        pos - cap
    } else {
        pos
    }
}

impl<T, S: Storage<T>, R: RawMutex> LockingRingBase<T, S, R> {
    /// The first slot and the capacity.
    #[inline(always)]
    fn slots(&self) -> (*mut T, usize) {
        // Safety: `buf` is live for as long as `self`; no reference to the slots is made.
        let slots = unsafe { S::slots_ptr(self.buf.get()) };
        (slots.cast::<T>(), slots.len())
    }

    /// Pushes without waiting: the one place values enter the ring.
    #[inline]
    fn push_now(&self, value: T) -> Result<(), TryPushError<T>> {
        let (slots, cap) = self.slots();
        let pushed = self.producer.lock.lock(|cached_head| {
            // `close` sets the flag under this lock: a push is wholly before or after it.
            if self.flags.closed.load(Ordering::Relaxed) {
                return Err(TryPushError::Closed(value));
            }
            let tail = self.producer.pos.load(Ordering::Relaxed);
            if distance(*cached_head, tail, cap) == cap {
                // Acquire: the consumer's read of the slot it freed happens before our write.
                *cached_head = self.consumer.pos.load(Ordering::Acquire);
                if distance(*cached_head, tail, cap) == cap {
                    return Err(TryPushError::Full(value));
                }
            }
            // Safety: `slot(tail) < cap`, and the slot lies outside `head..tail` (not full), so
            // no consumer reads it; we hold the producer lock, so no other producer writes it.
            unsafe { slots.add(slot(tail, cap)).write(value) };
            self.producer.pos.store(next(tail, cap), Ordering::Release);
            // A parking consumer raises this flag under this lock (see `poll_pop`), so it is
            // either raised already or the consumer will see this push when it looks again.
            Ok(self.flags.data_waiting.load(Ordering::Relaxed))
        });
        match pushed {
            Ok(consumer_waits) => {
                if consumer_waits {
                    self.notify_consumer();
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Takes without waiting: the one place values leave the ring.
    #[inline]
    fn take_now(&self) -> Option<T> {
        let (slots, cap) = self.slots();
        let taken = self.consumer.lock.lock(|cached_tail| {
            let head = self.consumer.pos.load(Ordering::Relaxed);
            if head == *cached_tail {
                // Acquire: the producer's write of the slots up to `tail` happens before our read.
                *cached_tail = self.producer.pos.load(Ordering::Acquire);
                if head == *cached_tail {
                    return None;
                }
            }
            // Safety: `head` is inside `head..tail`, so the slot holds a value the producer
            // finished writing (Acquire above); we hold the consumer lock, so we alone move it
            // out, and the `head` store below hands the slot back to producers.
            let value = unsafe { slots.add(slot(head, cap)).read() };
            self.consumer.pos.store(next(head, cap), Ordering::Release);
            // Raised under this lock by a parking producer (see `poll_push`).
            Some((value, self.flags.room_waiting.load(Ordering::Relaxed)))
        });
        let (value, producer_waits) = taken?;
        if producer_waits {
            self.notify_producer();
        }
        Some(value)
    }

    /// Whether the ring holds nothing, as far as this thread can see now (for hand-on decisions;
    /// a racing push notifies by itself).
    pub(super) fn looks_empty(&self) -> bool {
        self.consumer.pos.load(Ordering::Acquire) == self.producer.pos.load(Ordering::Acquire)
    }

    /// Whether the ring looks full (see [`looks_empty`](Self::looks_empty)).
    pub(super) fn looks_full(&self) -> bool {
        let cap = self.slots().1;
        let head = self.consumer.pos.load(Ordering::Acquire);
        distance(head, self.producer.pos.load(Ordering::Acquire), cap) >= cap
    }

    #[cold]
    fn notify_consumer(&self) {
        let waker = self.waiters.lock(|w| {
            let waker = w.data.notify_one();
            w.publish(&self.flags);
            waker
        });
        wake(waker);
    }

    #[cold]
    fn notify_producer(&self) {
        let waker = self.waiters.lock(|w| {
            let waker = w.room.notify_one();
            w.publish(&self.flags);
            waker
        });
        wake(waker);
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
        self.push_now(value)
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
        match self.take_now() {
            Some(v) => Ok(v),
            None => match self.take_if_closed() {
                Some(Some(v)) => Ok(v),
                Some(None) => Err(TryTakeError::Closed),
                None => Err(TryTakeError::Empty),
            },
        }
    }

    /// After a take found the ring empty: `None` if the ring is open; once it is closed, the
    /// final answer — every push is then visible (pushes and `close` share the producer lock, and
    /// the flag is read with Acquire), so one more take either finds a value or proves the ring
    /// drained.
    fn take_if_closed(&self) -> Option<Option<T>> {
        self.flags
            .closed
            .load(Ordering::Acquire)
            .then(|| self.take_now())
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
        let first = self.producer.lock.lock(|_| {
            let was = self.flags.closed.load(Ordering::Relaxed);
            self.flags.closed.store(true, Ordering::Release);
            !was
        });
        if !first {
            return false;
        }
        // One waiter per lock acquisition, so every waker is woken outside the lock. A future
        // registering from now on sees `closed` when it looks again (it registers under this
        // lock, after we set the flag) and completes, so this ends.
        while let Some(w) = self.waiters.lock(|w| {
            let waker = w.data.notify_one().or_else(|| w.room.notify_one());
            w.publish(&self.flags);
            waker
        }) {
            w.wake();
        }
        true
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
    /// assert!(!ring.is_closed());
    /// ring.close();
    /// assert!(ring.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.flags.closed.load(Ordering::Acquire)
    }

    /// How many values the ring holds right now (a snapshot: other threads may change it at
    /// once).
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// ring.try_push(1)?;
    /// ring.try_push(2)?;
    /// assert_eq!((ring.len(), ring.is_empty()), (2, false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        let cap = self.slots().1;
        // Under the consumer lock `head` stands still, and `tail` (read after it) is at most
        // `cap` ahead of it: the distance is exact at the moment of the read.
        self.consumer.lock.lock(|_| {
            let head = self.consumer.pos.load(Ordering::Relaxed);
            distance(head, self.producer.pos.load(Ordering::Acquire), cap)
        })
    }

    /// Whether the ring holds nothing right now.
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// assert!(ring.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many values the ring can hold.
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// assert_eq!(ring.capacity(), 4);
    /// ```
    pub fn capacity(&self) -> usize {
        self.slots().1
    }

    /// A [`Stream`](futures_core::Stream) of taken values, ending when the ring is closed and
    /// drained. Any number of streams (and `take`s) may consume one ring: each value goes to one.
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// let ring: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// ring.try_push(1)?;
    /// ring.close();
    /// let all: Vec<u8> = futures::executor::block_on(ring.stream().collect());
    /// assert_eq!(all, [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream(&self) -> RingStream<'_, T, S, R> {
        RingStream::new(self)
    }

    /// A [`Sink`](futures_sink::Sink) pushing into the ring; closing the sink closes the ring.
    ///
    /// ```
    /// use futures::SinkExt;
    ///
    /// let ring: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// futures::executor::block_on(async {
    ///     let mut sink = ring.sink();
    ///     sink.send(1).await?;
    ///     sink.close().await // closes the ring
    /// })?;
    /// assert_eq!((ring.try_take(), ring.is_closed()), (Ok(1), true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink(&self) -> RingSink<'_, T, S, R> {
        RingSink::new(self)
    }

    /// Takes the ring back (with whatever it holds); nobody can be waiting, since waiting
    /// borrows the ring.
    ///
    /// ```
    /// let shared: lindy::ring::LockingRing<u8, 4> = lindy::ring::LockingRing::new();
    /// shared.try_push(7)?;
    /// let mut ring = shared.into_inner();
    /// assert_eq!(ring.try_take(), Some(7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> RingBase<T, S> {
        let mut this = ManuallyDrop::new(self);
        let head = this.consumer.pos.load(Ordering::Relaxed);
        let tail = this.producer.pos.load(Ordering::Relaxed);
        // Safety: `this` is never used again and its `Drop` never runs: `buf` is moved out once
        // and every other field is dropped here once. The slots `head..tail` hold values (the
        // ring's invariant), which the returned ring now owns.
        unsafe {
            let buf = ManuallyDrop::take(&mut this.buf).into_inner();
            ptr::drop_in_place(&mut this.producer);
            ptr::drop_in_place(&mut this.consumer);
            ptr::drop_in_place(&mut this.flags);
            ptr::drop_in_place(&mut this.waiters);
            RingBase::from_raw_parts(buf, head, tail)
        }
    }

    /// The shared take step of [`Take`] and [`RingStream`]: take a value, or see the ring closed
    /// and drained, or park `slot` in the consumer queue.
    pub(super) fn poll_pop(&self, slot: &mut WaiterSlot, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(done) = self.pop_or_end() {
            self.leave_consumers(slot);
            return Poll::Ready(done);
        }
        self.waiters.lock(|w| w.data.register(slot, cx.waker()));
        // Raise the flag under the producers' lock, where `push_now` reads it: a push (or
        // `close`) is wholly before this — and the look below sees it — or after, and sees the
        // flag. No fence on anybody's fast path.
        self.producer
            .lock
            .lock(|_| self.flags.data_waiting.store(true, Ordering::Relaxed));
        match self.pop_or_end() {
            Some(done) => {
                self.leave_consumers(slot);
                Poll::Ready(done)
            }
            None => Poll::Pending,
        }
    }

    /// A value, or `Some(None)` for closed and drained, or `None`: wait.
    #[inline]
    fn pop_or_end(&self) -> Option<Option<T>> {
        match self.take_now() {
            Some(v) => Some(Some(v)),
            None => self.take_if_closed(),
        }
    }

    /// A completed consumer leaves the queue (if it ever joined). Its value came from the ring,
    /// not from a wake-up, so a wake-up that reached it meanwhile (a push notifies the oldest
    /// waiter, which may be this one, between its take and this call) was meant for a value it
    /// did not take: it is passed on, as by a dropped consumer.
    #[inline]
    fn leave_consumers(&self, slot: &mut WaiterSlot) {
        self.cancel_pop(slot);
    }

    /// Leaves the consumer queue (a dropped consumer); passes an unused wake-up on.
    pub(super) fn cancel_pop(&self, slot: &mut WaiterSlot) {
        if !slot.is_registered() {
            return; // completed or never parked: nothing to undo, no lock needed
        }
        let waker = self.waiters.lock(|w| {
            let waker = if w.data.remove(slot) && !self.looks_empty() {
                w.data.notify_one()
            } else {
                None
            };
            w.publish(&self.flags);
            waker
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
        let v = match self.push_now(v) {
            Ok(()) => return self.leave_producers(slot, Ok(())),
            Err(TryPushError::Closed(v)) => return self.leave_producers(slot, Err(Closed(v))),
            Err(TryPushError::Full(v)) => v,
        };
        self.waiters.lock(|w| w.room.register(slot, cx.waker()));
        // Under the consumers' lock, where `take_now` reads it (as in `poll_pop`).
        self.consumer
            .lock
            .lock(|_| self.flags.room_waiting.store(true, Ordering::Relaxed));
        match self.push_now(v) {
            Ok(()) => self.leave_producers(slot, Ok(())),
            Err(TryPushError::Closed(v)) => self.leave_producers(slot, Err(Closed(v))),
            Err(TryPushError::Full(v)) => {
                *value = Some(v);
                Poll::Pending
            }
        }
    }

    /// A completed producer leaves the queue (if it ever joined), passing on a wake-up for room
    /// that reached it after it had pushed (see [`leave_consumers`](Self::leave_consumers)).
    #[inline]
    fn leave_producers(
        &self,
        slot: &mut WaiterSlot,
        done: Result<(), Closed<T>>,
    ) -> Poll<Result<(), Closed<T>>> {
        self.cancel_push(slot);
        Poll::Ready(done)
    }

    /// Leaves the producer queue (a dropped producer); passes an unused wake-up on.
    pub(super) fn cancel_push(&self, slot: &mut WaiterSlot) {
        if !slot.is_registered() {
            return;
        }
        let waker = self.waiters.lock(|w| {
            let waker = if w.room.remove(slot) && !self.looks_full() {
                w.room.notify_one()
            } else {
                None
            };
            w.publish(&self.flags);
            waker
        });
        wake(waker);
    }
}

impl<T, S: Storage<T>, R> Drop for LockingRingBase<T, S, R> {
    /// Drops every value still in the ring exactly once, even if one's `Drop` panics (the
    /// ring's own drop, [`RingBase`]'s, does the work).
    fn drop(&mut self) {
        let head = self.consumer.pos.load(Ordering::Relaxed);
        let tail = self.producer.pos.load(Ordering::Relaxed);
        // Safety: `drop` runs once, so `buf` is taken once; `head..tail` hold values.
        unsafe {
            let buf = ManuallyDrop::take(&mut self.buf).into_inner();
            drop(RingBase::<T, S>::from_raw_parts(buf, head, tail));
        }
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
///
/// ```
/// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
/// let push: lindy::ring::Push<'_, u8, _> = ring.push(1);
/// assert_eq!(futures::executor::block_on(push), Ok(()));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Push<'a, T, S: Storage<T>, R: RawMutex = DefaultRawMutex> {
    ring: &'a LockingRingBase<T, S, R>,
    slot: WaiterSlot,
    value: Option<T>,
}

impl<T, S: Storage<T>, R: RawMutex> Push<'_, T, S, R> {
    /// Abandons the push and returns its value, unless it was already pushed (then `None`).
    /// The way to cancel without losing the value (e.g. after a timeout won a `select!`).
    ///
    /// ```
    /// use std::future::Future;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
    /// ring.try_push(1)?;
    /// let mut push = ring.push(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(std::pin::Pin::new(&mut push).poll(&mut cx).is_pending()); // full: it waits
    /// assert_eq!(push.cancel(), Some(2)); // given up: the value comes back
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
///
/// ```
/// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
/// ring.try_push(5)?;
/// let take: lindy::ring::Take<'_, u8, _> = ring.take();
/// assert_eq!(futures::executor::block_on(take), Some(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
