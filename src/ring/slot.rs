//! The locking ring's slots: each value beside the stamp that publishes it (Vyukov's bounded
//! MPMC queue, as crossbeam's `ArrayQueue`), so a hand-off between threads moves one cache line.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

use super::error::CapacityError;
use crate::sync::atomic::AtomicUsize;

/// One slot of a [`LockingRingBase`](super::LockingRingBase).
///
/// The stamp says whose turn the slot is, relative to the lap of the position that names it
/// (a position is `lap + index`, see `locking.rs`): `lap` — empty, a producer at this lap may
/// write; `lap + 1` — full, a consumer at this lap may read; `lap + one_lap` — read, empty for
/// the next lap. Relative stamps start at 0 for every slot, so a fixed ring stays `const fn new()`.
///
/// ```
/// // Crate-private; what it buys is seen from outside: a `static` ring, built in `const`.
/// static RING: lindy::ring::LockingRing<u8, 3> = lindy::ring::LockingRing::new();
/// RING.try_push(1)?;
/// assert_eq!(RING.try_take(), Ok(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Slot<T> {
    pub(super) stamp: AtomicUsize,
    pub(super) value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Slot<T> {
    /// An empty slot of lap 0.
    #[cfg(not(loom))]
    pub(super) const fn new() -> Self {
        Slot {
            stamp: AtomicUsize::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// An empty slot of lap 0 (loom's atomics cannot be built in `const`).
    #[cfg(loom)]
    pub(super) fn new() -> Self {
        Slot {
            stamp: AtomicUsize::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }
}

/// Where a locking ring keeps its stamped slots: `[Slot<T>; N]` inline or `Box<[Slot<T>]>`
/// (chosen by the ring's [`Storage`](super::Storage) type; sealed with it).
///
/// ```
/// use lindy::ring::{LockingHeapRing, LockingRing};
///
/// // Crate-private; from outside, the two storages are the two aliases.
/// let inline: LockingRing<u8, 4> = LockingRing::new();
/// let boxed = LockingHeapRing::<u8>::with_capacity(4)?;
/// assert_eq!(inline.capacity(), boxed.capacity());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait StampedSlots<T> {
    /// The slots; their number is the capacity and never changes.
    ///
    /// ```
    /// // Crate-private: its length is what `capacity` reports.
    /// let ring = lindy::ring::LockingHeapRing::<u8>::with_capacity(5)?;
    /// assert_eq!(ring.capacity(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn slots(&self) -> &[Slot<T>];
}

impl<T, const N: usize> StampedSlots<T> for [Slot<T>; N] {
    #[inline(always)]
    fn slots(&self) -> &[Slot<T>] {
        self
    }
}

impl<T> StampedSlots<T> for Box<[Slot<T>]> {
    #[inline(always)]
    fn slots(&self) -> &[Slot<T>] {
        self
    }
}

/// The stamped storage of the unsized `[MaybeUninit<T>]`, which no locking ring can have (its
/// storage is a field, so sized): uninhabited.
///
/// ```
/// // Crate-private. The unsized storage belongs to the plain ring's view only:
/// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
/// let view: &mut lindy::ring::RingView<u8> = ring.as_mut_view();
/// assert_eq!(view.capacity(), 2);
/// ```
pub enum NoSlots {}

impl<T> StampedSlots<T> for NoSlots {
    fn slots(&self) -> &[Slot<T>] {
        match *self {}
    }
}

/// `capacity` empty slots of lap 0, allocated fallibly.
pub(crate) fn alloc_stamped<T>(capacity: usize) -> Result<Box<[Slot<T>]>, CapacityError> {
    if capacity == 0 {
        return Err(CapacityError::Zero);
    }
    if capacity > MAX_CAPACITY {
        return Err(CapacityError::TooLarge {
            requested: capacity,
        });
    }
    let mut slots: Vec<Slot<T>> = Vec::new();
    slots
        .try_reserve_exact(capacity)
        .map_err(|_| CapacityError::TooLarge {
            requested: capacity,
        })?;
    slots.extend((0..capacity).map(|_| Slot::new()));
    Ok(slots.into_boxed_slice())
}

/// The largest capacity a locking ring takes: a position holds an index below the capacity, a
/// "closed" bit above it and at least two bits of lap (`4 · next_power_of_two(capacity + 1)`
/// must fit in a `usize`).
pub(crate) const MAX_CAPACITY: usize = usize::MAX / 8;
