//! `LockingRing`: a ring shared by `&self` that producers and consumers can wait on.

use alloc::boxed::Box;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::base::RingBase;
use super::error::{CapacityError, TryPushError, TryTakeError};
use super::slot::{alloc_stamped, Slot, StampedSlots, MAX_CAPACITY};
use super::storage::Storage;
use super::stream::{RingSink, RingStream};
use crate::error::Closed;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex, WaitQueue, WaiterSlot};

/// The positions need compare-and-swap: on targets without it (Cortex-M0), portable-atomic's,
/// made atomic by the critical section the firmware links (as `sync::Arc` is there).
#[cfg(any(loom, target_has_atomic = "ptr"))]
use crate::sync::atomic::AtomicUsize as PositionCell;
#[cfg(all(not(loom), not(target_has_atomic = "ptr")))]
use portable_atomic::AtomicUsize as PositionCell;

#[cfg(not(loom))]
use core::sync::atomic::fence;
#[cfg(loom)]
use loom::sync::atomic::fence;

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
/// No lock between producers and consumers, nor among either: the values sit in Vyukov's bounded
/// MPMC queue (as crossbeam's `ArrayQueue`). Each slot carries a stamp beside its value; a
/// producer claims the slot at `tail` with one compare-and-swap on `tail`, writes the value and
/// publishes it by the slot's stamp; a consumer claims the slot at `head` by one compare-and-swap
/// on `head` once the stamp says "full", moves the value out and hands the slot to the next lap
/// by the stamp. So a message between two threads moves the slot's cache line and nothing else
/// (the positions are each written by one side, on lines of their own). `close` sets a bit in
/// `tail`, so a push either claimed its slot before the close or sees the bit.
///
/// A push whose slot is claimed but not yet published ("in flight") is invisible to
/// `try_take` (it answers `Empty`, as if the take came first), and a take in flight likewise
/// makes `try_push` answer `Full`; a `try_*` never waits for another thread, so one from an
/// interrupt handler never waits for the code it interrupted.
///
/// The wait queues sit behind the lock `R`, touched only when somebody waits. A consumer that
/// must wait registers in its queue, raises the "consumer waiting" flag, issues a `SeqCst` fence
/// and looks once more; a push reads the flag (`SeqCst`) after publishing and wakes the oldest
/// waiter if it is raised. How the publication is ordered against that flag is chosen by the
/// lock type, which knows who shares the ring ([`RawMutex::THREADS_ONLY`]):
///
/// * **threads only** (`std`'s mutex, the default on `std`): the claim's compare-and-swap is
///   the ordered step and the stamp is a plain release store — one locked instruction per
///   message per side, as in crossbeam-channel. A waiter whose second look meets a value in
///   flight waits for its stamp (a short spin, then `yield_now`; a future whose producer was
///   preempted mid-push wakes itself and is polled again) instead of parking, since that
///   producer may have missed the flag;
/// * **interrupts may share it** (a critical section, the default on microcontrollers): the
///   stamp is stored `SeqCst` (a second locked instruction on x86), so a waiter that meets a
///   value in flight can park — its producer sees the flag — and nothing ever waits for the
///   code an interrupt handler interrupted.
///
/// Either way no wake-up is lost and the fast path takes no lock (the argument, step by step,
/// is on the crate-private `take_look`). Producers waiting for room mirror it on `head`. A
/// waiter that completes after a wake-up it did not use (its value came from its own second
/// look) passes the wake-up on. Wakers are woken after every lock is released. On targets
/// without compare-and-swap (Cortex-M0) the positions are portable-atomic's, whose
/// read-modify-writes run in a critical section.
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
    /// The next position to push, with the "closed" bit. Written only by producers (claiming a
    /// slot) and `close`.
    tail: CachePadded<PositionCell>,
    /// The next position to take. Written only by consumers (claiming a slot).
    head: CachePadded<PositionCell>,
    /// Read on every operation, written only when somebody parks.
    flags: CachePadded<Flags>,
    /// Producers waiting for room and consumers waiting for data.
    waiters: Mutex<R, Waiters>,
    /// The values, each beside its stamp. A slot's value is written only by the producer that
    /// claimed it while its stamp says "empty", read only by the consumer that claimed it while
    /// its stamp says "full".
    slots: S::Stamped,
    /// The ring owns `T`s (for the drop checker); `S` only picks the storage.
    _owns: PhantomData<(T, fn() -> S)>,
}

struct Flags {
    /// Some consumer may be registered in `Waiters::data`, not yet notified: raised by a parking
    /// consumer before its fence and second look, republished from the queue under the waiters
    /// lock (a stale `true` costs one empty notify, never a lost wake-up).
    data_waiting: AtomicBool,
    /// The producers' twin, read by every take.
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

// Safety: a slot's value is reached only by the one producer or consumer that claimed the slot
// by compare-and-swap, with the stamp's Release/Acquire ordering between them; everything else
// is atomics or behind `Mutex<R, _>`. `T: Send` because a value pushed on one thread is taken on
// another; `R: Sync` because the waiters lock must exclude.
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

/// The fields of an empty, open ring over the stamped slots `$slots`; a macro so that `new` can
/// stay `const` where loom's (non-`const`) atomics are not in play.
macro_rules! ring_fields {
    ($slots:expr) => {
        LockingRingBase {
            tail: CachePadded(PositionCell::new(0)),
            head: CachePadded(PositionCell::new(0)),
            flags: CachePadded(Flags {
                data_waiting: AtomicBool::new(false),
                room_waiting: AtomicBool::new(false),
            }),
            waiters: Mutex::new(Waiters {
                room: WaitQueue::new(),
                data: WaitQueue::new(),
            }),
            slots: $slots,
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
        ring_fields!([const { Slot::new() }; N])
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
        ring_fields!(core::array::from_fn(|_| Slot::new()))
    }

    const CAPACITY_OK: () = {
        assert!(N > 0, "lindy::ring::LockingRing<T, N> needs N >= 1");
        assert!(
            N <= MAX_CAPACITY,
            "lindy::ring::LockingRing<T, N> needs N <= usize::MAX / 8"
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
    /// [`CapacityError`] (`INVALID_CONFIG`) when `capacity` is 0 (a push could never complete),
    /// above `usize::MAX / 8`, or too large to allocate (attempted fallibly: no abort, no panic).
    ///
    /// ```
    /// use lindy::{ring::LockingHeapRing, ErrorCode};
    ///
    /// let ring = LockingHeapRing::<u8>::with_capacity(3)?;
    /// assert_eq!(ring.capacity(), 3);
    /// assert_eq!(LockingHeapRing::<u8>::with_capacity(0).unwrap_err().code(), "INVALID_CONFIG");
    /// assert!(LockingHeapRing::<()>::with_capacity(usize::MAX).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        Ok(ring_fields!(alloc_stamped(capacity)?))
    }
}

impl<T, S: Storage<T>, R: RawMutex> From<RingBase<T, S>> for LockingRingBase<T, S, R> {
    /// Shares an existing ring (and the values it holds, moved into the stamped slots); the
    /// result is open. A heap ring's slots are allocated once more (the old ones are freed).
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
        let shared: Self = ring_fields!(buf.stamped_like());
        // Safety: the parts of a ring, put back as they were.
        let mut ring = unsafe { RingBase::<T, S>::from_raw_parts(buf, head, tail) };
        let one_lap = shared.layout().one_lap;
        let slots = shared.slots.slots();
        let mut tail = 0;
        // One value at a time, so nothing is held twice if the loop stops early (it cannot: the
        // ring holds at most `capacity` values).
        while let Some(value) = ring.try_take() {
            let (lap, index) = shared.layout().split(tail);
            // Safety: `index < capacity`; the ring is not shared yet.
            unsafe { (*slots[index].value.get()).write(value) };
            slots[index].stamp.store(lap + 1, Ordering::Relaxed);
            tail = shared.layout().next(tail);
        }
        debug_assert!(tail == 0 || tail <= one_lap);
        shared.tail.store(tail, Ordering::Relaxed);
        shared
    }
}

/// Wakes a waker taken from a queue; called after every lock is released.
#[inline]
fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// How positions are made (crossbeam's `ArrayQueue` encoding): `lap + index`, with `index <
/// capacity` in the low bits, the "closed" bit (`mark`, only ever set in `tail`) above them, and
/// the lap counted in multiples of `one_lap = 2 · mark` above that. For `LockingRing<T, N>` all
/// of it is constant.
#[derive(Clone, Copy)]
struct Layout {
    cap: usize,
    mark: usize,
    one_lap: usize,
}

impl Layout {
    #[inline(always)]
    fn new(cap: usize) -> Self {
        let mark = (cap + 1).next_power_of_two();
        Layout {
            cap,
            mark,
            one_lap: mark * 2,
        }
    }

    /// `(lap, index)` of a position without the "closed" bit.
    #[inline(always)]
    fn split(self, pos: usize) -> (usize, usize) {
        (pos & !(self.one_lap - 1), pos & (self.mark - 1))
    }

    /// The position after `pos`.
    #[inline(always)]
    fn next(self, pos: usize) -> usize {
        let (lap, index) = self.split(pos);
        if index + 1 < self.cap {
            pos + 1
        } else {
            lap.wrapping_add(self.one_lap)
        }
    }

    /// How many values lie between `head` and `tail` (without the "closed" bit).
    #[inline(always)]
    fn distance(self, head: usize, tail: usize) -> usize {
        let (hix, tix) = (head & (self.mark - 1), tail & (self.mark - 1));
        if hix < tix {
            tix - hix
        } else if hix > tix {
            self.cap - hix + tix
        } else if tail == head {
            0
        } else {
            self.cap
        }
    }
}

/// Why a push or take did not happen now.
enum Miss {
    /// Full (push) or empty (take), as of a look at the other side's position.
    No,
    /// The ring is closed (push), or closed and drained (take).
    Closed,
    /// The slot at this side's position is claimed by the other side (or, for a take, by a
    /// producer), which has not yet published it. `try_*` answers as for `No`. A waiter's
    /// second look (after raising its flag) may park on it only with the stamp-ordered
    /// publication (`R::THREADS_ONLY == false`): the thread in flight then reads the flag after
    /// it publishes. With the claim-ordered one it waits for the stamp instead
    /// ([`take_look`](LockingRingBase::take_look)).
    InFlight,
}

/// Stands in, under loom, for what a `SeqCst` store or compare-and-swap followed by a `SeqCst`
/// load gives in the real memory model (loom models `SeqCst` accesses as `AcqRel`; its fences
/// are `SeqCst`): orders the step that makes a value (or room) visible — the stamp's store, or
/// with `R::THREADS_ONLY` the claim — before the read of the other side's "waiting" flag.
#[inline(always)]
fn loom_sc_fence() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

/// After a side's claim: with `R::THREADS_ONLY` the claim is the step that orders this side
/// before its read of the other side's flag (see [`loom_sc_fence`]).
#[inline(always)]
fn after_claim<R: RawMutex>() {
    if R::THREADS_ONLY {
        loom_sc_fence();
    }
}

/// Publishes a slot's new stamp: a plain `Release` store with `R::THREADS_ONLY` (the claim
/// already ordered the flag read), a `SeqCst` one otherwise (the stamp orders it). See
/// "Publication" on `LockingRingBase::take_look`.
#[inline(always)]
fn publish_stamp<R: RawMutex>(stamp: &crate::sync::atomic::AtomicUsize, value: usize) {
    if R::THREADS_ONLY {
        stamp.store(value, Ordering::Release);
    } else {
        stamp.store(value, Ordering::SeqCst);
        loom_sc_fence();
    }
}

/// Waits a moment for a step in flight on another thread (crossbeam's `Backoff::snooze`): spin
/// `2^step` hints for the first rounds (a claimant publishes a few instructions after its
/// claim), then give the processor away (in case the claimant was preempted on this core).
/// Only with `R::THREADS_ONLY`; a waiting future waits at most [`IN_FLIGHT_ROUNDS`] rounds in one
/// poll.
///
/// Under loom every round yields to loom's scheduler, and after `LOOM_FAIR_AFTER` rounds the
/// rest of the execution is left unexplored (`loom::skip_branch`): loom does not assume a fair
/// scheduler, so two waiters yielding to each other while the claimant never runs would be an
/// endless schedule it must explore. Every interleaving up to that many rounds of waiting is
/// explored; past it, the claimant is assumed to run, as any real scheduler lets it.
#[inline]
fn snooze<R: RawMutex>(step: &mut u32) {
    /// Spin rounds before yielding: 127 hints in all, as `sync::blocking`'s spin phase.
    const SPIN_ROUNDS: u32 = 7;
    if cfg!(loom) {
        *step += 1;
        #[cfg(loom)]
        if *step > LOOM_FAIR_AFTER {
            loom::skip_branch();
        }
        R::yield_now();
    } else if *step >= SPIN_ROUNDS {
        R::yield_now();
        *step += 1;
    } else {
        (0..1u32 << *step).for_each(|_| core::hint::spin_loop());
        *step += 1;
    }
}

/// Rounds of [`snooze`] a waiting future spends on a step in flight in one poll: the spin
/// (127 hints, a few microseconds) and one `yield_now`. If the claimant has still not published
/// (it was preempted mid-step), the future wakes itself and returns `Pending`, so an async
/// executor runs its other tasks meanwhile (a thread-blocking wait polls again at once).
const IN_FLIGHT_ROUNDS: u32 = 8;

/// Rounds of waiting for a step in flight that loom explores in full (see [`snooze`]; below
/// [`IN_FLIGHT_ROUNDS`], so every poll that waits that long reaches it).
#[cfg(loom)]
const LOOM_FAIR_AFTER: u32 = 2;

impl<T, S: Storage<T>, R: RawMutex> LockingRingBase<T, S, R> {
    #[inline(always)]
    fn layout(&self) -> Layout {
        Layout::new(self.slots.slots().len())
    }

    /// Pushes without waiting: the one place values enter the ring.
    #[inline]
    fn push_now(&self, value: T) -> Result<(), (T, Miss)> {
        let layout = self.layout();
        let slots = self.slots.slots();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & layout.mark != 0 {
                return Err((value, Miss::Closed));
            }
            let (lap, index) = layout.split(tail);
            // Safety (bounds): `index < capacity`.
            let slot = unsafe { slots.get_unchecked(index) };
            if slot.stamp.load(Ordering::Acquire) == lap {
                // The slot is empty for this lap: claim it.
                match self.tail.compare_exchange_weak(
                    tail,
                    layout.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        after_claim::<R>();
                        // Safety: the claim gives this producer alone the slot, whose stamp
                        // (Acquire above) says the last consumer has moved its value out.
                        unsafe { (*slot.value.get()).write(value) };
                        // Then the flag (`SeqCst`), so that a consumer parking now either sees
                        // this value in its second look or has raised the flag already: see
                        // "Publication" on `Self::take_look`.
                        publish_stamp::<R>(&slot.stamp, lap + 1);
                        if self.flags.data_waiting.load(Ordering::SeqCst) {
                            self.notify_consumer();
                        }
                        return Ok(());
                    }
                    Err(now) => {
                        tail = now;
                        core::hint::spin_loop();
                    }
                }
                continue;
            }
            // Not writable at this lap: full, or a consumer is still moving the value of the
            // lap before out, or another producer claimed this position first.
            fence(Ordering::SeqCst);
            let head = self.head.load(Ordering::Relaxed);
            if head.wrapping_add(layout.one_lap) == tail {
                return Err((value, Miss::No));
            }
            let now = self.tail.load(Ordering::Relaxed);
            if now == tail {
                return Err((value, Miss::InFlight));
            }
            tail = now;
        }
    }

    /// Takes without waiting: the one place values leave the ring.
    #[inline]
    fn take_now(&self) -> Result<T, Miss> {
        let layout = self.layout();
        let slots = self.slots.slots();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let (lap, index) = layout.split(head);
            // Safety (bounds): `index < capacity`.
            let slot = unsafe { slots.get_unchecked(index) };
            if slot.stamp.load(Ordering::Acquire) == lap + 1 {
                // The slot holds this lap's value: claim it.
                match self.head.compare_exchange_weak(
                    head,
                    layout.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        after_claim::<R>();
                        // Safety: the claim gives this consumer alone the slot, whose stamp
                        // (Acquire above) says its producer finished writing the value.
                        let value = unsafe { (*slot.value.get()).assume_init_read() };
                        // As in `push_now`, for producers waiting for room.
                        publish_stamp::<R>(&slot.stamp, lap.wrapping_add(layout.one_lap));
                        if self.flags.room_waiting.load(Ordering::SeqCst) {
                            self.notify_producer();
                        }
                        return Ok(value);
                    }
                    Err(now) => {
                        head = now;
                        core::hint::spin_loop();
                    }
                }
                continue;
            }
            // Nothing to read at this lap: empty, or a producer is still writing the value, or
            // another consumer took this position first.
            fence(Ordering::SeqCst);
            let tail = self.tail.load(Ordering::Relaxed);
            if tail & !layout.mark == head {
                return Err(if tail & layout.mark != 0 {
                    Miss::Closed
                } else {
                    Miss::No
                });
            }
            let now = self.head.load(Ordering::Relaxed);
            if now == head {
                return Err(Miss::InFlight);
            }
            head = now;
        }
    }

    /// Whether the ring holds nothing, as far as this thread can see now (for hand-on decisions;
    /// a racing push notifies by itself).
    pub(super) fn looks_empty(&self) -> bool {
        let head = self.head.load(Ordering::Acquire);
        head == self.tail.load(Ordering::Acquire) & !self.layout().mark
    }

    /// Whether the ring looks full (see [`looks_empty`](Self::looks_empty)).
    pub(super) fn looks_full(&self) -> bool {
        let layout = self.layout();
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire) & !layout.mark;
        head.wrapping_add(layout.one_lap) == tail
    }

    /// Whether a take would find a value now, reading only what a take reads (this side's
    /// position and the slot at it, never `tail`): what a spinning consumer watches, so that it
    /// takes no cache line from the producer beyond the slot the value arrives in.
    #[cfg(feature = "std")]
    pub(super) fn take_ready(&self) -> bool {
        let layout = self.layout();
        let (lap, index) = layout.split(self.head.load(Ordering::Relaxed));
        self.slots.slots()[index].stamp.load(Ordering::Relaxed) == lap + 1
    }

    /// Whether a push would find room (or the ring closed) now; the producers' twin of
    /// [`take_ready`](Self::take_ready), reading only `tail` and the slot at it.
    #[cfg(feature = "std")]
    pub(super) fn push_ready(&self) -> bool {
        let layout = self.layout();
        let tail = self.tail.load(Ordering::Relaxed);
        if tail & layout.mark != 0 {
            return true;
        }
        let (lap, index) = layout.split(tail);
        self.slots.slots()[index].stamp.load(Ordering::Relaxed) == lap
    }

    /// Test hook: claims the slot at `tail` as a push would and stops there (a producer
    /// preempted between its claim and its stamp); [`publish_claimed`](Self::publish_claimed)
    /// finishes that push. Single-threaded tests only.
    #[cfg(test)]
    pub(super) fn claim_without_publishing(&self) {
        let layout = self.layout();
        let tail = self.tail.load(Ordering::Relaxed);
        self.tail.store(layout.next(tail), Ordering::SeqCst);
    }

    /// Test hook: writes `value` into the slot claimed by
    /// [`claim_without_publishing`](Self::claim_without_publishing) and publishes it.
    #[cfg(test)]
    pub(super) fn publish_claimed(&self, value: T) {
        let layout = self.layout();
        let claimed = self.tail.load(Ordering::Relaxed) & !layout.mark;
        // The claimed position is the one before `tail`: `head` plus the number of values.
        let mut pos = self.head.load(Ordering::Relaxed);
        while layout.next(pos) != claimed {
            pos = layout.next(pos);
        }
        let (lap, index) = layout.split(pos);
        let slot = &self.slots.slots()[index];
        // Safety: the hook's caller claimed this slot and nobody else writes it.
        unsafe { (*slot.value.get()).write(value) };
        slot.stamp.store(lap + 1, Ordering::SeqCst);
        if self.flags.data_waiting.load(Ordering::SeqCst) {
            self.notify_consumer();
        }
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
        self.push_now(value).map_err(|(value, miss)| match miss {
            Miss::Closed => TryPushError::Closed(value),
            Miss::No | Miss::InFlight => TryPushError::Full(value),
        })
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
        self.take_now().map_err(|miss| match miss {
            Miss::Closed => TryTakeError::Closed,
            Miss::No | Miss::InFlight => TryTakeError::Empty,
        })
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
        // A push claims its slot by a compare-and-swap on `tail`, which fails once the bit is
        // set: every push is wholly before the close or sees it.
        let mark = self.layout().mark;
        if self.tail.fetch_or(mark, Ordering::SeqCst) & mark != 0 {
            return false;
        }
        // One waiter per lock acquisition, so every waker is woken outside the lock. A future
        // registering from now on (under this lock, so after the bit was set) sees the ring
        // closed when it looks again and completes, so this ends.
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
        self.tail.load(Ordering::Acquire) & self.layout().mark != 0
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
        let layout = self.layout();
        loop {
            // `tail` unchanged around the read of `head`: both held at the moment `head` was
            // read (as crossbeam's `ArrayQueue::len`).
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                return layout.distance(head, tail & !layout.mark);
            }
        }
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
        self.slots.slots().len()
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
    ///
    /// The values move into plain slots (a heap ring allocates them once more).
    pub fn into_inner(self) -> RingBase<T, S> {
        let mut ring = RingBase::from_storage(S::plain_like(&self.slots));
        let layout = self.layout();
        let slots = self.slots.slots();
        let end = self.tail.load(Ordering::Relaxed) & !layout.mark;
        let mut head = self.head.load(Ordering::Relaxed);
        while head != end {
            // Advance first: if a push below could fail and unwind, `Drop` must not see the
            // value again (it cannot fail: `ring` has the same capacity).
            let index = layout.split(head).1;
            head = layout.next(head);
            self.head.store(head, Ordering::Relaxed);
            // Safety: `&self` owned, nobody else sees the ring; positions before `end` hold
            // published values, each read once as `head` moves past it.
            let value = unsafe { (*slots[index].value.get()).assume_init_read() };
            let _ = ring.try_push(value);
        }
        ring
    }

    /// The shared take step of [`Take`] and [`RingStream`]: take a value, or see the ring closed
    /// and drained, or park `slot` in the consumer queue.
    pub(super) fn poll_pop(&self, slot: &mut WaiterSlot, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(done) = self.pop_or_end() {
            self.leave_consumers(slot);
            return Poll::Ready(done);
        }
        self.waiters.lock(|w| w.data.register(slot, cx.waker()));
        // Raise the flag, then look again after a fence (see `Self::take_look`).
        self.flags.data_waiting.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        match self.take_look() {
            Ok(v) => {
                self.leave_consumers(slot);
                Poll::Ready(Some(v))
            }
            Err(Miss::Closed) => {
                self.leave_consumers(slot);
                Poll::Ready(None)
            }
            // Still in flight after `take_look`'s wait (its producer was preempted mid-push)
            // with the claim-ordered publication: that producer may have missed the flag, so
            // this future must be polled again; it stays registered meanwhile.
            Err(Miss::InFlight) if R::THREADS_ONLY => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            // Empty: a push the look missed claims its slot after our fence, so it sees the
            // flag. In flight (stamp-ordered publication): its stamp is stored after our fence,
            // so its producer sees the flag.
            Err(Miss::No | Miss::InFlight) => Poll::Pending,
        }
    }

    /// A value, or `Some(None)` for closed and drained, or `None`: wait.
    #[inline]
    fn pop_or_end(&self) -> Option<Option<T>> {
        match self.take_look() {
            Ok(v) => Some(Some(v)),
            Err(Miss::Closed) => Some(None),
            Err(Miss::No | Miss::InFlight) => None,
        }
    }

    /// A waiting consumer's look at the ring: [`take_now`](Self::take_now), except that with the
    /// claim-ordered publication (`R::THREADS_ONLY`) a value in flight is waited for (a spin and
    /// one yield, [`IN_FLIGHT_ROUNDS`]); `InFlight` comes back from it only with the
    /// stamp-ordered publication, or if the claimant was preempted mid-step.
    ///
    /// # Publication, and why no wake-up is lost
    /// A value reaches consumers in two steps, its producer's claim (the compare-and-swap on
    /// `tail`, `SeqCst`) and its stamp. A consumer that must wait registers, raises
    /// `data_waiting` (`SeqCst`), issues a `SeqCst` fence F and looks again; a producer reads
    /// `data_waiting` (`SeqCst`) after storing the stamp and wakes the oldest waiter if it is
    /// raised. In the single total order S of `SeqCst` operations:
    ///
    /// * **Stamp-ordered** (`R::THREADS_ONLY == false`: a critical section, where a consumer
    ///   may be an interrupt handler): the stamp store is `SeqCst`. If F precedes it in S, the
    ///   flag store precedes the flag load in S and the producer sees the flag; otherwise the
    ///   look, after F, sees the stamp. So a look that meets a value in flight may park: its
    ///   producer will wake it. Nothing waits for another context; the price is a locked
    ///   instruction (`xchg` on x86) for every stamp.
    /// * **Claim-ordered** (`R::THREADS_ONLY`: every sharer is a preemptively scheduled
    ///   thread): the stamp store is a plain `Release` store, and the Dekker pair is the claim
    ///   and the flag load, both `SeqCst` (so the load, wherever it sits after the claim in
    ///   program order, follows it in S). If F precedes the claim in S, the producer sees the
    ///   flag; otherwise the look, after F, sees `tail` past `head`. If the stamp is not
    ///   visible yet (in flight) the producer may have missed the flag, so the consumer must
    ///   not park: it waits for the stamp ([`snooze`]: a short spin, then
    ///   [`RawMutex::yield_now`]) and looks again — every look after F is a valid second
    ///   look, so if another consumer takes the value first, an empty answer may park. If the
    ///   producer was preempted mid-push and has still not published, the future wakes
    ///   itself and returns `Pending` (still registered), and the next poll looks again: the
    ///   wait ends because the producer is a thread that runs again. One locked instruction
    ///   per message per side (the claim), as in crossbeam-channel's array flavour.
    ///
    /// Producers waiting for room mirror both with `head` and `room_waiting`
    /// ([`push_look`](Self::push_look)). Under loom, which models `SeqCst` accesses as `AcqRel`,
    /// a `SeqCst` fence stands after the step the flag load is ordered after.
    #[inline]
    fn take_look(&self) -> Result<T, Miss> {
        let mut step = 0;
        loop {
            match self.take_now() {
                Err(Miss::InFlight) if R::THREADS_ONLY && step < IN_FLIGHT_ROUNDS => {
                    snooze::<R>(&mut step)
                }
                done => return done,
            }
        }
    }

    /// A waiting producer's look: [`push_now`](Self::push_now), waiting for a take in flight
    /// with the claim-ordered publication (see [`take_look`](Self::take_look), mirrored).
    #[inline]
    fn push_look(&self, value: T) -> Result<(), (T, Miss)> {
        let mut step = 0;
        let mut value = value;
        loop {
            match self.push_now(value) {
                Err((v, Miss::InFlight)) if R::THREADS_ONLY && step < IN_FLIGHT_ROUNDS => {
                    value = v;
                    snooze::<R>(&mut step);
                }
                done => return done,
            }
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
        let v = match self.push_look(v) {
            Ok(()) => return self.leave_producers(slot, Ok(())),
            Err((v, Miss::Closed)) => return self.leave_producers(slot, Err(Closed(v))),
            Err((v, Miss::No | Miss::InFlight)) => v,
        };
        self.waiters.lock(|w| w.room.register(slot, cx.waker()));
        // As in `poll_pop`, mirrored (see `Self::push_look`).
        self.flags.room_waiting.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        match self.push_look(v) {
            Ok(()) => self.leave_producers(slot, Ok(())),
            Err((v, Miss::Closed)) => self.leave_producers(slot, Err(Closed(v))),
            // As in `poll_pop`: a take still in flight may have missed the flag.
            Err((v, Miss::InFlight)) if R::THREADS_ONLY => {
                *value = Some(v);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Err((v, Miss::No | Miss::InFlight)) => {
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
        /// Drops the values from `head` to `end`, and goes on doing so if one's `Drop` panics
        /// (from this guard's own `Drop`, during the unwind).
        struct Rest<'a, T> {
            slots: &'a [Slot<T>],
            layout: Layout,
            head: usize,
            end: usize,
        }
        impl<T> Rest<'_, T> {
            fn drop_all(&mut self) {
                while self.head != self.end {
                    let index = self.layout.split(self.head).1;
                    self.head = self.layout.next(self.head);
                    // Safety: positions before `end` hold published values (nobody else can
                    // reach the ring in `drop`), and `head` moved past this one first, so it
                    // is dropped once even if its `Drop` panics.
                    unsafe { (*self.slots[index].value.get()).assume_init_drop() };
                }
            }
        }
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                self.drop_all();
            }
        }
        if !core::mem::needs_drop::<T>() {
            return;
        }
        let layout = Layout::new(self.slots.slots().len());
        let mut rest = Rest {
            slots: self.slots.slots(),
            layout,
            head: self.head.load(Ordering::Relaxed),
            end: self.tail.load(Ordering::Relaxed) & !layout.mark,
        };
        rest.drop_all();
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
